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
}

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
    /// A number parameter (0.0 when absent: validation makes sure the needed ones exist).
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

    /// Checks ids, weights and parameter shapes.
    ///
    /// # Errors
    /// The first problem, with file, line and reason.
    pub fn validate(&self, file: &Path, text: &str, known: &[&str]) -> Result<(), RulesError> {
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
                if !known.contains(&item.id.as_str()) {
                    return Err(at(format!(
                        "item \"{}\" is not a scoring function of this version; known: {}",
                        item.id,
                        known.join(", ")
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
