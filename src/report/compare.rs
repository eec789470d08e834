//! Two runs over the same market side by side: who got better, who got worse, and what changed
//! behind the number (a channel gone, a chat handed to a bot, a legal check newly failing).
//! Sites are matched by the URL the list gave them, so a renamed company is still the same row.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::summary::{SiteSummary, median};
use crate::model::{ChannelKind, Contact, CustomerPath};

/// How one site moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Movement {
    /// The total dropped.
    Worse,
    /// The total rose.
    Better,
    /// The same total.
    Same,
    /// Evaluated before, not now (unreachable, blocked).
    NotEvaluated,
    /// Not evaluated before, evaluated now.
    NowEvaluated,
    /// Only in the second run.
    New,
    /// Only in the first run.
    Dropped,
}

/// A channel kind whose best mode changed (e.g. a chat with people now only a bot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeChange {
    /// The channel kind.
    pub kind: String,
    /// Who answered before.
    pub before: String,
    /// Who answers now.
    pub after: String,
}

/// One site in both runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The company (its name in the second run, if there).
    pub name: String,
    /// The URL both runs audited.
    pub url: String,
    /// Better, worse, same, …
    pub movement: Movement,
    /// Total before.
    pub before: Option<u32>,
    /// Total now.
    pub after: Option<u32>,
    /// Points gained (negative: lost), when both totals exist.
    pub delta: Option<i64>,
    /// Grade before.
    pub grade_before: Option<String>,
    /// Grade now.
    pub grade_after: Option<String>,
    /// Channel kinds offered now and not before.
    pub channels_gained: Vec<String>,
    /// Channel kinds offered before and not now.
    pub channels_lost: Vec<String>,
    /// Kinds whose answering changed.
    pub modes_changed: Vec<ModeChange>,
    /// Rules failing now that passed (or were not failing) before.
    pub rules_now_failing: Vec<String>,
    /// Rules failing before and not now.
    pub rules_fixed: Vec<String>,
    /// The titles of those rules, for people (ids stay in the lists above).
    #[serde(skip)]
    pub rule_titles: BTreeMap<String, String>,
    /// How the customer's ways to a person changed ("at once: phone 089 … moved from 1 to 3
    /// clicks", "in writing: new gate topic picker").
    pub paths_changed: Vec<String>,
    /// Why the site could not be evaluated now.
    pub reason: Option<String>,
}

/// Two runs compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// What the first run was (e.g. "run 3 (2026-01-10)").
    pub before: String,
    /// What the second run was.
    pub after: String,
    /// Median total of the first run's evaluated sites.
    pub median_before: Option<f64>,
    /// Median total of the second run's.
    pub median_after: Option<f64>,
    /// One entry per site, biggest losses first.
    pub changes: Vec<Change>,
}

fn key(url: &str) -> String {
    url.trim().trim_end_matches('/').to_lowercase()
}

fn mode_name(mode: crate::model::Mode) -> String {
    crate::model::json_name(&mode)
}

fn diff(name: &str, a: Option<&SiteSummary>, b: Option<&SiteSummary>) -> Change {
    let url = b.or(a).map(|s| s.url.clone()).unwrap_or_default();
    let total = |s: Option<&SiteSummary>| s.filter(|s| s.evaluated).and_then(|s| s.total);
    let (before, after) = (total(a), total(b));
    let evaluated = |s: Option<&SiteSummary>| s.is_some_and(|s| s.evaluated);
    let delta = before.zip(after).map(|(x, y)| i64::from(y) - i64::from(x));
    let movement = match (a, b) {
        (None, _) => Movement::New,
        (_, None) => Movement::Dropped,
        _ if evaluated(a) && !evaluated(b) => Movement::NotEvaluated,
        _ if !evaluated(a) && evaluated(b) => Movement::NowEvaluated,
        _ => match delta {
            Some(d) if d < 0 => Movement::Worse,
            Some(d) if d > 0 => Movement::Better,
            _ => Movement::Same,
        },
    };
    let mut change = Change {
        name: name.to_owned(),
        url,
        movement,
        before,
        after,
        delta,
        grade_before: a.and_then(|s| s.grade.clone()),
        grade_after: b.and_then(|s| s.grade.clone()),
        channels_gained: Vec::new(),
        channels_lost: Vec::new(),
        modes_changed: Vec::new(),
        rules_now_failing: Vec::new(),
        rules_fixed: Vec::new(),
        rule_titles: BTreeMap::new(),
        paths_changed: Vec::new(),
        reason: b.filter(|s| !s.evaluated).and_then(|s| s.reason.clone()),
    };
    if let (Some(a), Some(b)) = (a, b)
        && a.evaluated
        && b.evaluated
    {
        let kinds = |s: &SiteSummary| s.kinds.keys().copied().collect::<BTreeSet<ChannelKind>>();
        let (ka, kb) = (kinds(a), kinds(b));
        change.channels_gained = kb.difference(&ka).map(|k| k.as_str().to_owned()).collect();
        change.channels_lost = ka.difference(&kb).map(|k| k.as_str().to_owned()).collect();
        for k in ka.intersection(&kb) {
            let (ma, mb) = (a.kinds[k].mode, b.kinds[k].mode);
            if ma != mb {
                change.modes_changed.push(ModeChange {
                    kind: k.as_str().to_owned(),
                    before: mode_name(ma),
                    after: mode_name(mb),
                });
            }
        }
        let rules = |s: &SiteSummary| s.failed_rules.iter().cloned().collect::<BTreeSet<_>>();
        let (ra, rb) = (rules(a), rules(b));
        change.rules_now_failing = rb.difference(&ra).cloned().collect();
        change.rules_fixed = ra.difference(&rb).cloned().collect();
        change.rule_titles = a
            .rule_titles
            .iter()
            .chain(&b.rule_titles)
            .filter(|(id, _)| {
                change.rules_now_failing.contains(id) || change.rules_fixed.contains(id)
            })
            .map(|(id, title)| (id.clone(), title.clone()))
            .collect();
        change.paths_changed = path_changes(a, b);
    }
    change
}

/// What changed on the customer's ways, in words a reader checks against the two reports.
fn path_changes(a: &SiteSummary, b: &SiteSummary) -> Vec<String> {
    let mut out = Vec::new();
    for contact in [Contact::AtOnce, Contact::InWriting] {
        let find = |s: &SiteSummary| {
            s.paths
                .iter()
                .find(|p| p.contact == contact && !p.announced)
                .cloned()
        };
        let (Some(pa), Some(pb)) = (find(a), find(b)) else {
            continue;
        };
        let how = contact.title();
        let name = |p: &CustomerPath| {
            p.channel
                .as_ref()
                .map(|c| format!("{} {}", c.kind.as_str().replace('_', " "), c.value))
        };
        let clicks = |c: Option<u32>| match c {
            Some(1) => "1 click".to_owned(),
            Some(n) => format!("{n} clicks"),
            None => "only via the sitemap".to_owned(),
        };
        match (name(&pa), name(&pb)) {
            (Some(x), None) => out.push(format!("{how}: {x} gone, no way left")),
            (None, Some(y)) => out.push(format!("{how}: now {y} ({})", clicks(pb.clicks))),
            (Some(x), Some(y)) if x != y => {
                out.push(format!(
                    "{how}: {x} replaced by {y} ({})",
                    clicks(pb.clicks)
                ));
            }
            (Some(x), Some(_)) => {
                if pa.clicks != pb.clicks {
                    out.push(format!(
                        "{how}: {x} moved from {} to {}",
                        clicks(pa.clicks),
                        clicks(pb.clicks)
                    ));
                }
                let gates = |p: &CustomerPath| {
                    p.gates
                        .iter()
                        .map(|g| g.id.clone())
                        .collect::<BTreeSet<_>>()
                };
                let (ga, gb) = (gates(&pa), gates(&pb));
                for g in gb.difference(&ga) {
                    out.push(format!(
                        "{how}: new gate {} before {x}",
                        g.replace('_', " ")
                    ));
                }
                for g in ga.difference(&gb) {
                    out.push(format!(
                        "{how}: gate {} gone before {x}",
                        g.replace('_', " ")
                    ));
                }
            }
            (None, None) => {}
        }
    }
    let caps = |s: &SiteSummary| s.caps.iter().cloned().collect::<BTreeSet<_>>();
    for cap in caps(b).difference(&caps(a)) {
        out.push(format!("grade now capped by {cap}"));
    }
    for cap in caps(a).difference(&caps(b)) {
        out.push(format!("no longer capped by {cap}"));
    }
    out
}

impl Comparison {
    /// Compares two runs' sites, matched by URL.
    #[must_use]
    pub fn new(before: &str, a: &[SiteSummary], after: &str, b: &[SiteSummary]) -> Self {
        // Matched in order of occurrence, so a URL listed twice pairs first with first.
        let mut unmatched: BTreeMap<String, std::collections::VecDeque<usize>> = BTreeMap::new();
        for (i, s) in a.iter().enumerate() {
            unmatched.entry(key(&s.url)).or_default().push_back(i);
        }
        let mut changes: Vec<Change> = Vec::new();
        for s in b {
            let old = unmatched
                .get_mut(&key(&s.url))
                .and_then(std::collections::VecDeque::pop_front)
                .map(|i| &a[i]);
            changes.push(diff(&s.name, old, Some(s)));
        }
        let mut dropped: Vec<usize> = unmatched.into_values().flatten().collect();
        dropped.sort_unstable();
        for i in dropped {
            changes.push(diff(&a[i].name, Some(&a[i]), None));
        }
        changes.sort_by(|x, y| {
            x.movement
                .cmp(&y.movement)
                .then_with(|| match x.movement {
                    Movement::Better => y.delta.cmp(&x.delta),
                    _ => x.delta.cmp(&y.delta),
                })
                .then_with(|| x.name.to_lowercase().cmp(&y.name.to_lowercase()))
        });
        let med = |sites: &[SiteSummary]| {
            let mut totals: Vec<u32> = sites
                .iter()
                .filter(|s| s.evaluated)
                .filter_map(|s| s.total)
                .collect();
            median(&mut totals)
        };
        Self {
            before: before.to_owned(),
            after: after.to_owned(),
            median_before: med(a),
            median_after: med(b),
            changes,
        }
    }

    /// How many sites moved each way.
    #[must_use]
    pub fn count(&self, movement: Movement) -> usize {
        self.changes
            .iter()
            .filter(|c| c.movement == movement)
            .count()
    }

    /// For a terminal: the losers first, then the winners, then the rest in one line each.
    #[must_use]
    pub fn text(&self) -> String {
        let clean = super::clean;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Before: {}\nAfter:  {}",
            clean(&self.before),
            clean(&self.after)
        );
        let med = |m: Option<f64>| m.map_or_else(|| "–".to_owned(), |m| format!("{m:.0}"));
        let _ = writeln!(
            out,
            "Median score {} → {}; {} worse, {} better, {} unchanged\n",
            med(self.median_before),
            med(self.median_after),
            self.count(Movement::Worse),
            self.count(Movement::Better),
            self.count(Movement::Same)
        );
        let sections = [
            (Movement::Worse, "Worse"),
            (Movement::Better, "Better"),
            (Movement::Same, "Same score"),
            (Movement::NotEvaluated, "Could not be evaluated now"),
            (Movement::NowEvaluated, "Evaluated now, not before"),
            (Movement::New, "Only in the second run"),
            (Movement::Dropped, "Only in the first run"),
        ];
        for (movement, title) in sections {
            let rows: Vec<&Change> = self
                .changes
                .iter()
                .filter(|c| c.movement == movement)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{title} ({}):", rows.len());
            for c in rows {
                let score = |t: Option<u32>, g: &Option<String>| match (t, g) {
                    (Some(t), Some(g)) => format!("{t} {}", clean(g)),
                    (Some(t), None) => t.to_string(),
                    _ => "–".to_owned(),
                };
                let delta = c.delta.map_or_else(String::new, |d| format!("{d:+}"));
                let mut what = Vec::new();
                if !c.channels_lost.is_empty() {
                    what.push(format!("lost {}", c.channels_lost.join(", ")));
                }
                if !c.channels_gained.is_empty() {
                    what.push(format!("new {}", c.channels_gained.join(", ")));
                }
                for m in &c.modes_changed {
                    what.push(format!("{}: {} → {}", m.kind, m.before, m.after));
                }
                what.extend(c.paths_changed.iter().map(|p| clean(p)));
                // A rule by its title, its id beside it for whoever checks the JSON.
                let named = |ids: &[String]| {
                    ids.iter()
                        .map(|id| match c.rule_titles.get(id) {
                            Some(t) => format!("“{}” ({id})", clean(t)),
                            None => id.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if !c.rules_now_failing.is_empty() {
                    what.push(format!("now failing {}", named(&c.rules_now_failing)));
                }
                if !c.rules_fixed.is_empty() {
                    what.push(format!("fixed {}", named(&c.rules_fixed)));
                }
                if let Some(r) = &c.reason {
                    what.push(clean(r));
                }
                let _ = writeln!(
                    out,
                    "  {delta:>4}  {}  {} → {}{}{}",
                    clean(&c.name),
                    score(c.before, &c.grade_before),
                    score(c.after, &c.grade_after),
                    if what.is_empty() { "" } else { "  · " },
                    what.join("; ")
                );
            }
            out.push('\n');
        }
        out
    }

    /// One CSV row per site, cells defused against spreadsheet formulas.
    #[must_use]
    pub fn csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let _ = w.write_record([
            "name",
            "url",
            "movement",
            "score_before",
            "score_after",
            "delta",
            "grade_before",
            "grade_after",
            "channels_gained",
            "channels_lost",
            "modes_changed",
            "rules_now_failing",
            "rules_fixed",
            "paths_changed",
            "reason",
        ]);
        let opt = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        for c in &self.changes {
            let row = [
                c.name.clone(),
                c.url.clone(),
                crate::model::json_name(&c.movement),
                opt(c.before),
                opt(c.after),
                // A number a spreadsheet reads as one: "+5" would be defused into text.
                c.delta.map(|d| d.to_string()).unwrap_or_default(),
                c.grade_before.clone().unwrap_or_default(),
                c.grade_after.clone().unwrap_or_default(),
                c.channels_gained.join(" "),
                c.channels_lost.join(" "),
                c.modes_changed
                    .iter()
                    .map(|m| format!("{}:{}>{}", m.kind, m.before, m.after))
                    .collect::<Vec<_>>()
                    .join(" "),
                c.rules_now_failing.join(" "),
                c.rules_fixed.join(" "),
                c.paths_changed.join("; "),
                c.reason.clone().unwrap_or_default(),
            ];
            let _ = w.write_record(row.iter().map(|c| super::defuse(c)));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, ChannelKind, Mode};
    use crate::report::sample;

    fn site(url: &str, total: u32, chat: Mode, failing: &[&str]) -> SiteSummary {
        let mut r = sample::report();
        r.target.input = url.into();
        r.score.total = Some(total);
        r.channels.push(Channel {
            mode: chat,
            ..Channel::new(ChannelKind::Chat, "chat")
        });
        let mut s = SiteSummary::of(&r);
        s.failed_rules = failing.iter().map(|f| (*f).to_owned()).collect();
        s
    }

    #[test]
    fn a_url_listed_twice_pairs_in_order_and_leftovers_are_dropped() {
        let a = [
            site("https://x.example", 10, Mode::Human, &[]),
            site("https://x.example", 20, Mode::Human, &[]),
        ];
        let b = [site("https://x.example", 15, Mode::Human, &[])];
        let c = Comparison::new("1", &a, "2", &b);
        let got: Vec<_> = c.changes.iter().map(|c| (c.movement, c.before)).collect();
        assert_eq!(
            got,
            [(Movement::Better, Some(10)), (Movement::Dropped, Some(20))]
        );
    }

    #[test]
    fn who_got_worse_and_why() {
        let a = [
            site("https://a.example/", 70, Mode::Human, &[]),
            site("https://b.example", 40, Mode::Bot, &["de.ddg.5.email"]),
            site("https://gone.example", 50, Mode::Bot, &[]),
        ];
        let mut worse = site("https://A.example", 55, Mode::Bot, &["de.ddg.5.phone"]);
        worse.kinds.remove(&ChannelKind::Phone);
        let b = [
            worse,
            site("https://b.example/", 60, Mode::Human, &[]),
            site("https://new.example", 10, Mode::Bot, &[]),
        ];
        let c = Comparison::new("run 1", &a, "run 2", &b);
        let movements: Vec<_> = c.changes.iter().map(|c| c.movement).collect();
        assert_eq!(
            movements,
            [
                Movement::Worse,
                Movement::Better,
                Movement::New,
                Movement::Dropped
            ]
        );
        let w = &c.changes[0];
        assert_eq!(w.delta, Some(-15));
        assert_eq!(w.channels_lost, ["phone"]);
        assert_eq!(
            w.modes_changed,
            [ModeChange {
                kind: "chat".into(),
                before: "human".into(),
                after: "bot".into()
            }]
        );
        assert_eq!(w.rules_now_failing, ["de.ddg.5.phone"]);
        assert_eq!(c.changes[1].rules_fixed, ["de.ddg.5.email"]);
        let text = c.text();
        assert!(text.contains("Worse (1):"), "{text}");
        assert!(text.contains("-15"), "{text}");
        assert!(text.contains("chat: human → bot"), "{text}");
        let csv = c.csv();
        assert_eq!(csv.lines().count(), 5, "{csv}");
        assert!(csv.contains(",worse,70,55,-15,"), "{csv}");
    }

    #[test]
    fn grade_changes_are_explained_by_the_customer_path() {
        use crate::model::{CustomerPath, PathChannel, PathGate};
        let path = |clicks: u32, gates: &[&str]| CustomerPath {
            contact: Contact::AtOnce,
            channel: Some(PathChannel {
                kind: ChannelKind::Phone,
                value: "089 1".into(),
                role: "customer_service".into(),
            }),
            steps: vec![],
            clicks: Some(clicks),
            gates: gates
                .iter()
                .map(|g| PathGate {
                    id: (*g).into(),
                    detail: None,
                    url: "https://a.example/hilfe".into(),
                })
                .collect(),
            effort: Some(clicks + u32::try_from(gates.len()).unwrap()),
            summary: String::new(),
            announced: false,
        };
        let mut before = site("https://a.example", 90, Mode::Human, &[]);
        before.paths = vec![path(1, &[])];
        let mut after = site("https://a.example", 60, Mode::Human, &[]);
        after.paths = vec![path(3, &["topic_picker"])];
        after.caps = vec!["de.bgb.312a.5.basic_rate".into()];
        let c = Comparison::new("1", &[before], "2", &[after]);
        assert_eq!(
            c.changes[0].paths_changed,
            [
                "at once: phone 089 1 moved from 1 click to 3 clicks",
                "at once: new gate topic picker before phone 089 1",
                "grade now capped by de.bgb.312a.5.basic_rate",
            ]
        );
        assert!(
            c.text().contains("moved from 1 click to 3 clicks"),
            "{}",
            c.text()
        );
        assert!(c.csv().contains("moved from 1 click to 3 clicks"));
    }
}
