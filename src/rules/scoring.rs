//! `rules/scoring.toml`: categories, items, weights and grade thresholds. Each item names a scoring
//! function of `src/score.rs` by id; an unknown id, a negative weight or a category without items
//! is a rule-file error.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{RulesError, invalid_at};

/// The scoring method.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    /// Lowest total per grade letter.
    pub grades: BTreeMap<String, u32>,
    /// The categories.
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
    /// Which role labels mean a channel serves customers.
    pub roles: Roles,
    /// What stands in a customer's way on a path.
    pub path: PathRules,
    /// How to read the days of an hours note.
    pub week: Week,
    /// Grades held down while a duty fails, whatever the points.
    #[serde(rename = "cap", default)]
    pub caps: Vec<Cap>,
}

/// Role labels (`rules/cues/labels.toml` `[[role]]`) sorted by whom they serve.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// A customer with a problem is served here (customer service, complaints, switchboard …).
    pub customer: Vec<String>,
    /// Someone else is (press, jobs, sales to new customers, business customers …).
    pub not_customer: Vec<String>,
    /// Page kinds where a detail shown nowhere else is only the legal minimum.
    pub legal_pages: Vec<String>,
}

/// Gates on the way to a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRules {
    /// Signals (`rules/cues/signals.toml`) that stand in the way where they are shown.
    pub gates: Vec<String>,
    /// Signals that push customers away for good.
    pub pushed_away: Vec<String>,
    /// Page kinds besides the start page where a bot is the most prominent help offer.
    pub front_pages: Vec<String>,
    /// Page kinds where a bot before the channel is a gate on the way.
    pub bot_gate_pages: Vec<String>,
}

/// Day ranges of hours notes, by how many days a week they cover; a note with none of them
/// covers one day ("Sa 9–13").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Week {
    /// "täglich", "Mo–So", "daily".
    pub seven_days: Vec<String>,
    /// "Mo–Sa", "werktags", "lunes a sábado".
    pub six_days: Vec<String>,
    /// "Mo–Fr", "Mon–Fri", "L-V", "lundi au vendredi".
    pub five_days: Vec<String>,
    /// Words of a note that means round the clock ("24/7", "rund um die Uhr").
    pub round_the_clock: Vec<String>,
}

impl Week {
    /// Whether a note means round the clock.
    #[must_use]
    pub fn round_the_clock(&self, note: &str) -> bool {
        let note = note.to_lowercase();
        self.round_the_clock
            .iter()
            .any(|w| note.contains(w.as_str()))
    }

    /// Days a week a note covers. Dashes, dots and spacing are evened out first, so "Mo. – Fr."
    /// is "mo-fr".
    #[must_use]
    pub fn days(&self, note: &str) -> f64 {
        let even = |s: &str| {
            s.to_lowercase()
                .replace(['–', '—', '‑'], "-")
                .replace('.', "")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace(" - ", "-")
                .replace(" -", "-")
                .replace("- ", "-")
        };
        let note = even(note);
        let any = |list: &[String]| list.iter().any(|w| note.contains(&even(w)));
        if any(&self.seven_days) {
            7.0
        } else if any(&self.six_days) {
            6.0
        } else if any(&self.five_days) {
            5.0
        } else {
            1.0
        }
    }
}

/// A grade cap.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    /// A compliance rule id whose failure caps, or one of [`CONDITIONS`].
    pub when: String,
    /// The best grade while it holds.
    pub grade: String,
    /// Why, for the report.
    pub why: String,
}

/// Conditions of the score's own that can cap a grade.
pub const CONDITIONS: &[&str] = &[
    "no_person",
    "no_person_at_once_and_deflection",
    "paid_customer_lines_only",
];

/// One category.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id.
    pub id: String,
    /// Title shown in reports.
    pub title: String,
    /// Weight in the total.
    pub weight: f64,
    /// Its items.
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

/// One scored item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The scoring function.
    pub id: String,
    /// Title shown in reports.
    pub title: String,
    /// Weight in its category.
    pub weight: f64,
    /// Numbers the function reads.
    #[serde(default)]
    pub params: toml::Table,
}

impl Item {
    /// A number parameter; 0.0 when absent (the embedded rules give every one the code reads).
    #[must_use]
    pub fn param(&self, key: &str) -> f64 {
        match self.params.get(key) {
            Some(toml::Value::Float(f)) => *f,
            #[allow(clippy::cast_precision_loss)]
            Some(toml::Value::Integer(i)) => *i as f64,
            _ => 0.0,
        }
    }

    /// A list-of-numbers parameter.
    #[must_use]
    pub fn param_list(&self, key: &str) -> Vec<f64> {
        match self.params.get(key) {
            Some(toml::Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    toml::Value::Float(f) => Some(*f),
                    #[allow(clippy::cast_precision_loss)]
                    toml::Value::Integer(i) => Some(*i as f64),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Scoring {
    /// An item by id, wherever it stands.
    #[must_use]
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.categories
            .iter()
            .flat_map(|c| &c.items)
            .find(|i| i.id == id)
    }

    /// The grade for a total: the best letter whose threshold it reaches, else F.
    #[must_use]
    pub fn grade(&self, total: u32) -> String {
        self.grade_bands()
            .into_iter()
            .find(|(_, min)| total >= *min)
            .map_or_else(|| "F".to_owned(), |(g, _)| g)
    }

    /// Each grade with the lowest total that earns it, best first (F is what remains).
    #[must_use]
    pub fn grade_bands(&self) -> Vec<(String, u32)> {
        let mut bands: Vec<(String, u32)> =
            self.grades.iter().map(|(g, m)| (g.clone(), *m)).collect();
        bands.sort_by_key(|b| std::cmp::Reverse(b.1));
        bands
    }

    /// Checks what the method names elsewhere: caps against the grades and the compliance rules,
    /// gates against the page signals.
    ///
    /// # Errors
    /// The first unknown grade, condition or signal.
    pub fn validate_references(
        &self,
        file: &Path,
        text: &str,
        rule_ids: &[&str],
        signal_ids: &[String],
    ) -> Result<(), RulesError> {
        for gate in self.path.gates.iter().chain(&self.path.pushed_away) {
            if !signal_ids.contains(gate) {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("\"{gate}\""),
                    format!("[path] \"{gate}\" is not a signal of rules/cues/signals.toml"),
                ));
            }
        }
        for cap in &self.caps {
            let at = |reason: String| invalid_at(file, text, &format!("\"{}\"", cap.when), reason);
            if cap.grade != "F" && !self.grades.contains_key(&cap.grade) {
                return Err(at(format!(
                    "cap \"{}\": grade \"{}\" is not one of [grades] (or F)",
                    cap.when, cap.grade
                )));
            }
            if !CONDITIONS.contains(&cap.when.as_str()) && !rule_ids.contains(&cap.when.as_str()) {
                return Err(at(format!(
                    "cap \"{}\" is neither a compliance rule id nor one of: {}",
                    cap.when,
                    CONDITIONS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Checks ids, weights and parameter shapes.
    ///
    /// # Errors
    /// The first problem, with file, line and reason.
    pub fn validate(
        &self,
        file: &Path,
        text: &str,
        known: &[(&str, &[&str])],
    ) -> Result<(), RulesError> {
        let mut seen = Vec::new();
        for category in &self.categories {
            if category.weight < 0.0 || !category.weight.is_finite() {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("\"{}\"", category.id),
                    format!("category \"{}\": weight must be 0 or more", category.id),
                ));
            }
            if category.items.is_empty() {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("\"{}\"", category.id),
                    format!("category \"{}\" has no items", category.id),
                ));
            }
            for item in &category.items {
                let at = |reason: String| {
                    invalid_at(file, text, &format!("id = \"{}\"", item.id), reason)
                };
                let Some((_, needs)) = known.iter().find(|(id, _)| *id == item.id) else {
                    return Err(at(format!(
                        "item \"{}\" is not a scoring function of this version; known: {}",
                        item.id,
                        known
                            .iter()
                            .map(|(id, _)| *id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                };
                if let Some(missing) = needs.iter().find(|k| !item.params.contains_key(**k)) {
                    return Err(at(format!(
                        "item \"{}\" needs the parameter {missing}",
                        item.id
                    )));
                }
                if seen.contains(&item.id) {
                    return Err(at(format!("item \"{}\" is used twice", item.id)));
                }
                seen.push(item.id.clone());
                if item.weight <= 0.0 || !item.weight.is_finite() {
                    return Err(at(format!(
                        "item \"{}\": weight must be greater than 0",
                        item.id
                    )));
                }
                for (key, value) in &item.params {
                    let ok = match value {
                        toml::Value::Float(f) => *f >= 0.0,
                        toml::Value::Integer(i) => *i >= 0,
                        toml::Value::Array(a) => a.iter().all(|v| {
                            matches!(v, toml::Value::Float(f) if *f >= 0.0)
                                || matches!(v, toml::Value::Integer(i) if *i >= 0)
                        }),
                        _ => false,
                    };
                    if !ok {
                        return Err(at(format!(
                            "item \"{}\": parameter {key} must be a number (or list of numbers) of 0 or more",
                            item.id
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}
