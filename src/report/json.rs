//! The JSON contract: one report object per target; several targets make an array.

use super::Renderer;
use crate::model::Report;

pub(super) struct Json;

impl Renderer for Json {
    fn render(&self, reports: &[Report]) -> String {
        let mut out = match reports {
            [one] => serde_json::to_string_pretty(one),
            many => serde_json::to_string_pretty(many),
        }
        .expect("the report model always serializes");
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn one_report_is_an_object_several_are_an_array_and_both_round_trip() {
        let report = sample::report();
        let one = Json.render(std::slice::from_ref(&report));
        let value: serde_json::Value = serde_json::from_str(&one).unwrap();
        assert_eq!(value["schema_version"], "1");
        assert_eq!(value["channels"][0]["phone"]["type"], "toll_free");
        assert_eq!(value["channels"][1]["clicks"], serde_json::Value::Null);
        assert_eq!(value["score"]["total"], serde_json::Value::Null);
        let back: Report = serde_json::from_str(&one).unwrap();
        assert_eq!(back, report);

        let two = Json.render(&[report.clone(), report]);
        let value: serde_json::Value = serde_json::from_str(&two).unwrap();
        assert_eq!(value.as_array().map(Vec::len), Some(2));
    }
}
