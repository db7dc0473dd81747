//! The crate's imports go one way (docs/architecture.md): no file imports a
//! file that imports it back, however long the way round, and no two
//! top-level modules import each other. Read from `src/` as text, the way
//! a reader follows `use crate::…`, `crate::…` paths and `super::…`: each
//! file is a module (`a/mod.rs` and `a.rs` are `a`), test-only modules and
//! `#[cfg(test)]` items are left out, and a file's use of its own
//! submodules is not an import from elsewhere.
//!
//! Written here rather than with a parsing crate: the rules are the few
//! lines above, and the check needs no dependency of its own.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every `.rs` file under `dir`, by module path.
fn files(dir: &Path, at: &[String], out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            let mut sub = at.to_vec();
            sub.push(name);
            files(&path, &sub, out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut module = at.to_vec();
            if !matches!(stem, "mod" | "lib" | "main") || !at.is_empty() && stem != "mod" {
                module.push(stem.to_string());
            }
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The text without `#[cfg(test)]` items and `//` comments.
fn code(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().starts_with("#[cfg(test)]") {
            let mut j = i + 1;
            while j < lines.len() && lines[j].trim().starts_with("#[") {
                j += 1;
            }
            if j < lines.len() && lines[j].trim_end().ends_with(';') {
                i = j + 1;
                continue;
            }
            let (mut depth, mut started) = (0i64, false);
            while j < lines.len() {
                let line = lines[j];
                depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
                started |= line.contains('{');
                j += 1;
                if started && depth <= 0 {
                    break;
                }
            }
            i = j;
            continue;
        }
        let line = lines[i];
        out.push(line.split("//").next().unwrap_or(""));
        i += 1;
    }
    out.join("\n")
}

/// The modules declared `#[cfg(test)] mod name;` in `text`.
fn test_only(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("#[cfg(test)]") {
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && lines[j].starts_with("#[") {
            j += 1;
        }
        if let Some(decl) = lines.get(j) {
            let decl = decl
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                out.push(name.trim().to_string());
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The `crate::…` and `super::…` paths of `code`, each as (`crate` or
/// `super`, the names after it), and the items of every
/// `use crate::a::{b, c::d};` group, as paths of their own.
fn paths(code: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let text: String = chars.iter().collect();
    for root in ["crate", "super"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(root) {
            let start = from + at;
            from = start + root.len();
            let before = text[..start].chars().next_back();
            if before.is_some_and(|c| is_ident(c) || c == ':') {
                continue;
            }
            let mut rest = &text[start + root.len()..];
            let mut names = Vec::new();
            while let Some(after) = rest.strip_prefix("::") {
                let len = after.find(|c: char| !is_ident(c)).unwrap_or(after.len());
                if len == 0 {
                    break;
                }
                names.push(after[..len].to_string());
                rest = &after[len..];
            }
            if names.is_empty() {
                // `use super::{…}` straight after the root.
                if let Some(group) = rest.strip_prefix("::{") {
                    group_items(root, &[], group, &mut out);
                }
                continue;
            }
            if let Some(group) = rest.strip_prefix("::{") {
                group_items(root, &names, group, &mut out);
            }
            out.push((root.to_string(), names));
        }
    }
    out
}

/// The items of a `{…}` group (its text from after the `{`) under
/// `prefix`: nested groups dropped, each item's leading names kept.
fn group_items(root: &str, prefix: &[String], group: &str, out: &mut Vec<(String, Vec<String>)>) {
    let Some(end) = group.find("};") else { return };
    let mut body = group[..end].to_string();
    while let (Some(open), Some(close)) = (body.find('{'), body.find('}')) {
        if close < open {
            break;
        }
        body.replace_range(open..=close, "");
    }
    for item in body.split(|c: char| c == ',' || c.is_whitespace()) {
        let names: Vec<String> = item
            .split("::")
            .filter(|n| !n.is_empty() && *n != "self")
            .map(str::to_string)
            .collect();
        if !names.is_empty() {
            let mut path = prefix.to_vec();
            path.extend(names);
            out.push((root.to_string(), path));
        }
    }
}

struct Graph {
    edges: BTreeMap<Module, BTreeSet<Module>>,
}

fn graph(src: &Path) -> Graph {
    let mut all = BTreeMap::new();
    files(src, &[], &mut all);
    let mut excluded: Vec<Module> = Vec::new();
    for (module, text) in &all {
        for name in test_only(text) {
            let mut m = module.clone();
            m.push(name);
            excluded.push(m);
        }
    }
    let live: BTreeMap<Module, String> = all
        .into_iter()
        .filter(|(m, _)| !excluded.iter().any(|x| m.starts_with(x)))
        .collect();
    let resolve = |path: &[String]| -> Option<Module> {
        (1..=path.len())
            .rev()
            .map(|k| path[..k].to_vec())
            .find(|m| live.contains_key(m))
    };
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, text) in &live {
        let code = code(text);
        let parent = module[..module.len().saturating_sub(1)].to_vec();
        for (root, names) in paths(&code) {
            let mut base = if root == "crate" {
                Vec::new()
            } else {
                parent.clone()
            };
            let mut names = names.as_slice();
            while root == "super" && names.first().is_some_and(|n| n == "super") {
                base.pop();
                names = &names[1..];
            }
            let mut path = base;
            path.extend_from_slice(names);
            if let Some(target) = resolve(&path)
                && !target.is_empty()
                && !target.starts_with(module)
            {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    Graph { edges }
}

impl Graph {
    /// The strongly connected components of more than one module (Tarjan).
    fn circles(&self) -> Vec<Vec<Module>> {
        struct State<'a> {
            graph: &'a Graph,
            index: BTreeMap<&'a Module, usize>,
            low: BTreeMap<&'a Module, usize>,
            stack: Vec<&'a Module>,
            on: BTreeSet<&'a Module>,
            out: Vec<Vec<Module>>,
        }
        fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
            let n = s.index.len();
            s.index.insert(v, n);
            s.low.insert(v, n);
            s.stack.push(v);
            s.on.insert(v);
            let targets: Vec<&'a Module> = s.graph.edges.get(v).into_iter().flatten().collect();
            for w in targets {
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
            if s.low[v] == s.index[v] {
                let mut component = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on.remove(w);
                    component.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    s.out.push(component);
                }
            }
        }
        let mut s = State {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on: BTreeSet::new(),
            out: Vec::new(),
        };
        for v in self.edges.keys() {
            if !s.index.contains_key(v) {
                visit(&mut s, v);
            }
        }
        s.out
    }

    /// Pairs of top-level modules that import each other.
    fn two_way(&self) -> BTreeSet<(String, String)> {
        let mut top: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (a, targets) in &self.edges {
            for b in targets {
                if let (Some(x), Some(y)) = (a.first(), b.first())
                    && x != y
                {
                    top.entry(x).or_default().insert(y);
                }
            }
        }
        let mut pairs = BTreeSet::new();
        for (a, bs) in &top {
            for b in bs {
                if top.get(b).is_some_and(|back| back.contains(a)) {
                    let (x, y) = if a < b { (a, b) } else { (b, a) };
                    pairs.insert((x.to_string(), y.to_string()));
                }
            }
        }
        pairs
    }
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let g = graph(&common::manifest_dir().join("src"));
    assert!(g.edges.len() > 50, "the crate's files were read");
    let circles = g.circles();
    assert!(
        circles.is_empty(),
        "import circles: {:?}",
        circles
            .iter()
            .map(|c| c.iter().map(|m| m.join("::")).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let g = graph(&common::manifest_dir().join("src"));
    assert_eq!(g.two_way(), BTreeSet::new());
}

#[test]
fn the_check_sees_a_circle_and_a_pair_where_there_are() {
    // A crate of three files: `a` → `b::c` → `a`, by `use crate::…` and a
    // group under `super`.
    let dir = std::env::temp_dir().join(format!("akn-layering-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::c::Thing;\n").unwrap();
    std::fs::write(dir.join("b/mod.rs"), "pub mod c;\n").unwrap();
    std::fs::write(
        dir.join("b/c.rs"),
        "use super::super::{a::Other, b};\n// use crate::nowhere;\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\n",
    )
    .unwrap();
    let g = graph(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(g.circles().len(), 1, "{:?}", g.edges);
    assert_eq!(
        g.two_way(),
        BTreeSet::from([("a".to_string(), "b".to_string())])
    );
}
