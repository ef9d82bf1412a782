// Fixture for `semgrep --test`: each `ruleid:` line must be reported, each `ok:` line must not.

const COLUMNS: &str = "id, username, email";

async fn by_email(db: &Client, email: &str, sort: &str, limit: i64) -> Result<()> {
    // ruleid: conduit.sql.no-interpolated-values
    let q = format!("SELECT * FROM users WHERE email = '{}'", email);
    // ruleid: conduit.sql.no-interpolated-values
    let q = format!("SELECT * FROM users WHERE id = {id}");
    // ruleid: conduit.sql.no-interpolated-values
    let q = format!("SELECT * FROM articles ORDER BY {sort} LIMIT 20");
    // ruleid: conduit.sql.no-interpolated-values
    let q = format!("SELECT * FROM articles LIMIT {} OFFSET {}", limit, offset);
    // ruleid: conduit.sql.no-interpolated-values
    db.execute(&format!("DELETE FROM tags WHERE name LIKE '%{tag}%'"), &[]).await?;
    // ruleid: conduit.sql.no-interpolated-values
    let q = format!("INSERT INTO tags (name) VALUES ({})", name);
    // ok: conduit.sql.no-interpolated-values
    let q = format!("SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)");
    // ok: conduit.sql.no-interpolated-values
    let cond = format!("u.username = ${}", params.len());
    // ok: conduit.sql.no-interpolated-values
    let q = format!("{}{where_clause} ORDER BY a.created_at DESC LIMIT ${} OFFSET ${}", select, n + 2, n + 3);
    // ok: conduit.sql.no-interpolated-values
    let msg = format!("user {} not found", email);
    // ok: conduit.sql.no-interpolated-values
    let fav = format!("EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = {p})");
    // ok: conduit.sql.no-interpolated-values
    let fol = format!("SELECT 1 FROM follows WHERE follower_id = {viewer_param}");
    // ruleid: conduit.sql.no-interpolated-values
    let bad = format!("SELECT 1 FROM follows WHERE follower_id = {viewer}");
    // ruleid: conduit.sql.no-interpolated-values
    let bad = format!("SELECT 1 FROM users WHERE name = {pname}");
    // ruleid: conduit.sql.no-string-concatenation
    let q = "SELECT * FROM users WHERE email = '".to_owned() + email + "'";
    // ruleid: conduit.sql.no-string-concatenation
    let q = String::from("DELETE FROM tags WHERE name = ") + &name;
    // ok: conduit.sql.no-string-concatenation
    let greeting = "hello ".to_owned() + name;
    Ok(())
}
