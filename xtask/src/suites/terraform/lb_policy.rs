//! Does the Load Balancer Controller's role hold every permission the controller calls?
//!
//! The policy as applied (from the emulator run's state) is compared with the upstream policy for
//! the controller version we pin (the reference file under the shared directory, see
//! `reference/README.md` there): for every upstream statement, every action and every resource
//! pattern, some Allow statement of ours must grant that action on a resource pattern that overlaps
//! the upstream one. Our resources and conditions may be narrower (a region, an account, a tag
//! condition); a missing action, or an action granted only on other resources (the listener tags
//! of issue #16), fails. Intentional omissions are `# omitted-upstream-action: <action>: <reason>`
//! lines in `terraform/modules/iam/lb_controller.tf`.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Where our policy and its omission list live, relative to `terraform/`.
pub const SOURCE: &str = "modules/iam/lb_controller.tf";
/// IAM's limit on the inline policies of one role, counted without whitespace.
const INLINE_POLICY_LIMIT: usize = 10_240;
const OMISSION_PREFIX: &str = "# omitted-upstream-action:";

struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// An intentional omission: the upstream action and why we do not grant it.
pub struct Omission {
    pub action: String,
    pub reason: String,
}

pub fn read_reference() -> Result<Value> {
    // The pinned input `alb-controller-iam-policy` (xtask/inputs.toml): verified by its SHA-256.
    let path = crate::inputs::path("alb-controller-iam-policy")?;
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the upstream controller policy {}",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The `# omitted-upstream-action: <action>: <reason>` lines of the policy source.
pub fn omissions(source_tf: &str) -> Result<Vec<Omission>> {
    let mut out = Vec::new();
    for line in source_tf.lines() {
        let Some(rest) = line.trim_start().strip_prefix(OMISSION_PREFIX) else {
            continue;
        };
        // The action itself contains one colon (service:Action); the reason follows the second.
        let rest = rest.trim();
        let (action, reason) = match rest.match_indices(':').nth(1) {
            Some((i, _)) => (rest[..i].trim(), rest[i + 1..].trim()),
            None => (rest, ""),
        };
        if reason.len() < 15 {
            bail!("`{line}`: an omission needs a reason");
        }
        out.push(Omission {
            action: action.to_string(),
            reason: reason.to_string(),
        });
    }
    Ok(out)
}

/// Every upstream (action, resource) is granted by `ours`, except the listed omissions; an
/// omission must name an upstream action that we really do not grant.
pub fn check(ours: &Value, reference: &Value, omitted: &[Omission]) -> Result<String> {
    let ours_st = statements(ours).context("our policy")?;
    let reference_st = statements(reference).context("the reference policy")?;
    let minified = serde_json::to_string(ours)?.len();
    let mut problems = Vec::new();
    if minified > INLINE_POLICY_LIMIT {
        problems.push(format!(
            "the policy is {minified} characters; IAM refuses inline role policies over {INLINE_POLICY_LIMIT}"
        ));
    }
    let mut pairs = 0;
    for up in reference_st.iter().filter(|s| s.allow) {
        for action in &up.actions {
            if omitted
                .iter()
                .any(|o| o.action.eq_ignore_ascii_case(action))
            {
                continue;
            }
            for resource in &up.resources {
                pairs += 1;
                if !granted(&ours_st, action, resource) {
                    problems.push(format!("{action} on {resource} is not granted"));
                }
            }
        }
    }
    for o in omitted {
        let upstream = reference_st
            .iter()
            .any(|s| s.actions.iter().any(|a| a.eq_ignore_ascii_case(&o.action)));
        if !upstream {
            problems.push(format!(
                "omission `{}` is not an action of the upstream policy",
                o.action
            ));
        } else if ours_st
            .iter()
            .any(|s| s.allow && s.actions.iter().any(|p| glob(p, &o.action)))
        {
            problems.push(format!(
                "`{}` is listed as omitted ({}) but granted",
                o.action, o.reason
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "the Load Balancer Controller policy lacks what the upstream policy grants:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(format!(
        "{pairs} upstream (action, resource) grants covered, {} omissions with reasons, {minified} of {INLINE_POLICY_LIMIT} characters",
        omitted.len()
    ))
}

/// Some Allow statement grants `action` on a resource pattern overlapping `resource`, and no
/// unconditional Deny takes it away.
fn granted(ours: &[Statement], action: &str, resource: &str) -> bool {
    let covers = |s: &Statement| {
        s.actions.iter().any(|p| glob(p, action))
            && s.resources.iter().any(|r| overlaps(r, resource))
    };
    ours.iter().any(|s| s.allow && covers(s)) && !ours.iter().any(|s| !s.allow && covers(s))
}

/// Two IAM resource patterns can name a common resource (one matches the other as text).
fn overlaps(a: &str, b: &str) -> bool {
    glob(a, b) || glob(b, a)
}

/// IAM wildcard match (`*` any run, `?` one character), case-insensitive as IAM actions are.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(policy: &Value) -> Result<Vec<Statement>> {
    let list = match &policy["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![policy["Statement"].clone()],
        _ => bail!("no Statement"),
    };
    list.iter()
        .map(|s| {
            if s.get("NotAction").is_some() || s.get("NotResource").is_some() {
                bail!("NotAction/NotResource statements are not supported by this check: {s}");
            }
            Ok(Statement {
                allow: s["Effect"].as_str() == Some("Allow"),
                actions: strings(&s["Action"]),
                resources: strings(&s["Resource"]),
            })
        })
        .collect()
}

/// Finds `values` of the resource at `address` in `terraform show -json` output.
pub fn resource_values<'a>(show: &'a Value, address: &str) -> Option<&'a Value> {
    fn walk<'a>(module: &'a Value, address: &str) -> Option<&'a Value> {
        for r in module["resources"].as_array().into_iter().flatten() {
            if r["address"].as_str() == Some(address) {
                return Some(&r["values"]);
            }
        }
        module["child_modules"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|m| walk(m, address))
    }
    walk(&show["values"]["root_module"], address)
}

/// The checks' own fixtures: the reference passes; the reference without the listener tag
/// statement, or without SetRulePriorities, is rejected; an omission without a reason and one
/// that is granted anyway are rejected.
pub fn self_test(reference: &Value) -> Result<String> {
    check(reference, reference, &[]).context("self-test: the reference must pass itself")?;

    let mut no_listener_tags = reference.clone();
    if let Some(list) = no_listener_tags["Statement"].as_array_mut() {
        list.retain(|s| {
            !strings(&s["Resource"])
                .iter()
                .any(|r| r.contains(":listener/"))
        });
    }
    match check(&no_listener_tags, reference, &[]) {
        Err(e)
            if format!("{e:#}").contains(
                "elasticloadbalancing:AddTags on arn:aws:elasticloadbalancing:*:*:listener/",
            ) => {}
        other => {
            bail!("self-test: a policy without AddTags on listeners was not rejected: {other:?}")
        }
    }

    let mut no_priorities = reference.clone();
    for s in no_priorities["Statement"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        if let Some(actions) = s["Action"].as_array_mut() {
            actions.retain(|a| a.as_str() != Some("elasticloadbalancing:SetRulePriorities"));
        }
    }
    match check(&no_priorities, reference, &[]) {
        Err(e) if format!("{e:#}").contains("elasticloadbalancing:SetRulePriorities") => {}
        other => bail!("self-test: a policy without SetRulePriorities was not rejected: {other:?}"),
    }
    let justified = [Omission {
        action: "elasticloadbalancing:SetRulePriorities".into(),
        reason: "self-test: a justified omission".into(),
    }];
    check(&no_priorities, reference, &justified)
        .context("self-test: a listed omission must be accepted")?;
    if check(reference, reference, &justified).is_ok() {
        bail!("self-test: an omission that is granted anyway was accepted");
    }
    if omissions("# omitted-upstream-action: shield:CreateProtection:\n").is_ok() {
        bail!("self-test: an omission without a reason was accepted");
    }
    Ok("the reference passes; no listener AddTags, no SetRulePriorities, an unjustified or granted omission are rejected".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iam_globs() {
        assert!(glob(
            "elasticloadbalancing:Describe*",
            "elasticloadbalancing:DescribeRules"
        ));
        assert!(glob("ec2:describe?pcs", "EC2:DescribeVpcs"));
        assert!(!glob(
            "elasticloadbalancing:Add*",
            "elasticloadbalancing:RemoveTags"
        ));
        assert!(overlaps(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/*/*/*",
            "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*"
        ));
        assert!(!overlaps(
            "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
            "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*"
        ));
    }

    #[test]
    fn narrower_resources_pass_other_resources_fail() {
        let reference = json!({"Statement": [{"Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"],
            "Resource": ["arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*"]}]});
        let narrower = json!({"Statement": {"Effect": "Allow", "Action": "elasticloadbalancing:AddTags",
            "Resource": "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/*/*/*"}});
        assert!(check(&narrower, &reference, &[]).is_ok());
        let elsewhere = json!({"Statement": [{"Effect": "Allow", "Action": ["elasticloadbalancing:AddTags"],
            "Resource": ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"]}]});
        assert!(check(&elsewhere, &reference, &[]).is_err());
    }

    #[test]
    fn reads_omission_lines() {
        let tf = "# header `# omitted-upstream-action: <a>: <b>`\n  # omitted-upstream-action: shield:CreateProtection: Shield Advanced is not subscribed here\n";
        let o = omissions(tf).unwrap();
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].action, "shield:CreateProtection");
        assert!(o[0].reason.starts_with("Shield Advanced"));
    }
}
