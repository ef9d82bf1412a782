//! Small helpers over the rnix syntax tree shared by the Nix checks.

use rnix::{SyntaxKind::*, SyntaxNode};

/// Parses Nix source; the first parse error is an error.
pub fn parse(source: &str) -> Result<SyntaxNode, String> {
    let ast = rnix::parse(source);
    match ast.errors().first() {
        Some(err) => Err(err.to_string()),
        None => Ok(ast.node()),
    }
}

/// 1-based line of a node.
pub fn line(source: &str, node: &SyntaxNode) -> usize {
    let off = usize::from(node.text_range().start());
    source[..off].matches('\n').count() + 1
}

/// The value of a plain string literal (`"abc"`), without interpolation.
pub fn string_value(node: &SyntaxNode) -> Option<String> {
    if node.kind() != NODE_STRING || node.children().next().is_some() {
        return None;
    }
    let text = node.text().to_string();
    text.strip_prefix('"')?
        .strip_suffix('"')
        .map(str::to_string)
}

/// The static parts of an attribute key (`a.b."c"`); `None` if any part is dynamic.
pub fn key_path(key_value: &SyntaxNode) -> Option<Vec<String>> {
    let key = key_value.children().find(|c| c.kind() == NODE_KEY)?;
    key.children()
        .map(|part| match part.kind() {
            NODE_IDENT => Some(part.text().to_string()),
            _ => string_value(&part),
        })
        .collect()
}

/// The value of a `key = value;` entry.
pub fn entry_value(key_value: &SyntaxNode) -> Option<SyntaxNode> {
    key_value.children().find(|c| c.kind() != NODE_KEY)
}

/// Skips parentheses.
pub fn unparen(node: SyntaxNode) -> SyntaxNode {
    let mut node = node;
    while node.kind() == NODE_PAREN {
        match node.children().next() {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// Every `(path, value)` leaf of a literal attribute set, nested sets flattened:
/// `{ a.b = 1; c = { d = 2; }; }` gives `a.b` and `c.d`. Inherited names give their name.
pub fn flatten_attrs(
    set: &SyntaxNode,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, SyntaxNode)>,
) {
    for entry in set.children() {
        match entry.kind() {
            NODE_KEY_VALUE => {
                let (Some(path), Some(value)) = (key_path(&entry), entry_value(&entry)) else {
                    continue;
                };
                let mut full = prefix.to_vec();
                full.extend(path);
                let value = unparen(value);
                if value.kind() == NODE_ATTR_SET {
                    flatten_attrs(&value, &full, out);
                } else {
                    out.push((full, value));
                }
            }
            NODE_INHERIT => {
                for name in entry.children().filter(|c| c.kind() == NODE_IDENT) {
                    let mut full = prefix.to_vec();
                    full.push(name.text().to_string());
                    out.push((full, name.clone()));
                }
            }
            _ => {}
        }
    }
}
