//! `reachaudit rules list|explain|validate`: what is checked, and why.

use std::fmt::Write as _;

use anyhow::{Result, bail};

use super::Exit;
use super::args::{RulesArgs, RulesCommand};
use crate::rules::Rules;
use crate::rules::compliance::{JURISDICTIONS, Rule};

pub(super) fn run(args: RulesArgs) -> Result<Exit> {
    match args.command {
        RulesCommand::List {
            jurisdiction,
            format,
            rules,
        } => {
            let loaded = load(rules.as_deref())?;
            for j in &jurisdiction {
                if !JURISDICTIONS.contains(&j.as_str()) {
                    bail!(
                        "--jurisdiction {j}: unknown jurisdiction; use {}",
                        JURISDICTIONS.join(", ")
                    );
                }
            }
            let selected: Vec<&Rule> = loaded
                .compliance
                .iter()
                .filter(|r| jurisdiction.is_empty() || jurisdiction.contains(&r.jurisdiction))
                .collect();
            let out = match format.as_deref().unwrap_or("text") {
                "json" => serde_json::to_string_pretty(&selected)? + "\n",
                "text" => list_text(&selected),
                other => bail!("--format {other}: unknown format; use text or json"),
            };
            print!("{out}");
            Ok(Exit::Ok)
        }
        RulesCommand::Explain { id, rules } => {
            let loaded = load(rules.as_deref())?;
            let Some(rule) = loaded.compliance.iter().find(|r| r.id == id) else {
                let close: Vec<&str> = loaded
                    .compliance
                    .iter()
                    .map(|r| r.id.as_str())
                    .filter(|r| r.split('.').next() == id.split('.').next())
                    .take(8)
                    .collect();
                bail!(
                    "{id}: no such rule; `reachaudit rules list` shows them{}",
                    if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (e.g. {})", close.join(", "))
                    }
                );
            };
            print!("{}", explain(rule));
            Ok(Exit::Ok)
        }
        RulesCommand::Validate { dir } => {
            if !dir.is_dir() {
                bail!(
                    "{}: not a directory; give the folder that holds compliance/*.toml, vendors/*.toml or cues/*.toml",
                    dir.display()
                );
            }
            let loaded = Rules::load(Some(&dir))?;
            println!(
                "{}: valid ({} compliance rules, {} vendors)",
                dir.display(),
                loaded.compliance.len(),
                loaded.vendors.list.len()
            );
            Ok(Exit::Ok)
        }
    }
}

fn load(dir: Option<&std::path::Path>) -> Result<Rules> {
    if let Some(dir) = dir
        && !dir.is_dir()
    {
        bail!("--rules {}: not a directory", dir.display());
    }
    Ok(Rules::load(dir)?)
}

fn severity(rule: &Rule) -> &'static str {
    match rule.severity {
        crate::model::Severity::Error => "error",
        crate::model::Severity::Warning => "warning",
        crate::model::Severity::Info => "info",
    }
}

fn list_text(rules: &[&Rule]) -> String {
    let mut out = String::new();
    let mut current = "";
    for rule in rules {
        if rule.jurisdiction != current {
            current = &rule.jurisdiction;
            let _ = writeln!(out, "\n{}", current.to_ascii_uppercase());
        }
        let from = rule
            .applies_from
            .as_deref()
            .map(|d| format!(" (from {d})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<34} {:<8} {}{from}\n  {:<34} {:<8} {}",
            rule.id,
            severity(rule),
            rule.law,
            "",
            "",
            rule.title
        );
    }
    out.trim_start().to_owned()
}

fn explain(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  [{}, {}]",
        rule.id,
        rule.jurisdiction,
        severity(rule)
    );
    let _ = writeln!(out, "{}", rule.title);
    let _ = writeln!(out, "\nLaw:          {}", rule.law);
    if let Some(from) = &rule.applies_from {
        let _ = writeln!(out, "Applies from: {from}");
    }
    let _ = writeln!(out, "Source:       {}", rule.source);
    let _ = writeln!(out, "\nWhat is checked\n  {}", rule.what);
    let _ = writeln!(out, "\nWhy\n  {}", rule.why);
    let params = if rule.params.is_empty() {
        String::new()
    } else {
        format!(
            " with {}",
            rule.params.to_string().trim().replace('\n', ", ")
        )
    };
    let _ = writeln!(out, "\nHow\n  check {}{params}", rule.check);
    let _ = writeln!(
        out,
        "\nLimits (what a person must still check)\n  {}",
        rule.limits
    );
    if let Some(disputed) = &rule.disputed {
        let _ = writeln!(out, "\nDisputed\n  {disputed}");
    }
    let _ = writeln!(
        out,
        "\nThis is an audit aid, not legal advice: it reports what a crawler saw."
    );
    out
}
