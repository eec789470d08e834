//! The priority frontier: which URL to fetch next.
//!
//! A site of 5,000 pages and a budget of 50 means the order decides what is seen at all, so pages
//! whose links or URLs promise contact details (see [`super::classify::link_priority`]) go first,
//! then shallower pages, then discovery order (breadth-first among equals). A URL found again with a
//! better priority or depth is re-queued; the stale entry is skipped when popped.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};

use url::Url;

/// A URL waiting to be fetched.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The URL, without fragment.
    pub url: Url,
    /// Clicks from the start page along the path that found it (sitemap seeds count as 1).
    pub depth: u32,
    /// Cue priority (higher first).
    pub priority: u32,
    /// Its link carries a strong contact cue: it passes a trap family's cap.
    pub strong: bool,
    seq: u64,
}

impl Entry {
    fn key(&self) -> (u32, Reverse<u32>, Reverse<u64>) {
        (self.priority, Reverse(self.depth), Reverse(self.seq))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// URLs to fetch, best first, each handed out once.
#[derive(Debug, Default)]
pub struct Frontier {
    heap: BinaryHeap<Entry>,
    best: HashMap<String, (u32, u32, bool)>,
    taken: HashSet<String>,
    seq: u64,
}

impl Frontier {
    /// Queues a URL unless it was already taken or queued at least as well.
    pub fn push(&mut self, mut url: Url, depth: u32, priority: u32, strong: bool) {
        url.set_fragment(None);
        let key = url.as_str().to_owned();
        if self.taken.contains(&key) {
            return;
        }
        if let Some(&(p, d, s)) = self.best.get(&key)
            && p >= priority
            && d <= depth
            && (s || !strong)
        {
            return;
        }
        let (p, d, s) = self.best.get(&key).copied().unwrap_or((0, u32::MAX, false));
        let (priority, depth, strong) = (p.max(priority), d.min(depth), s || strong);
        self.best.insert(key, (priority, depth, strong));
        self.seq += 1;
        self.heap.push(Entry {
            url,
            depth,
            priority,
            strong,
            seq: self.seq,
        });
    }

    /// How many URLs are queued (an entry re-queued with a better priority counts once).
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.best.len().saturating_sub(self.taken.len())
    }

    /// The priority of the best URL still waiting.
    pub fn best_waiting(&mut self) -> Option<u32> {
        while let Some(top) = self.heap.peek() {
            if self.taken.contains(top.url.as_str()) {
                self.heap.pop();
            } else {
                return Some(top.priority);
            }
        }
        None
    }

    /// The best URL not yet taken.
    pub fn pop(&mut self) -> Option<Entry> {
        while let Some(entry) = self.heap.pop() {
            if self.taken.insert(entry.url.as_str().to_owned()) {
                return Some(entry);
            }
        }
        None
    }

    /// Marks a URL as done without fetching it through the frontier (the start page, redirect
    /// targets), so it is not fetched twice.
    pub fn mark_taken(&mut self, url: &Url) {
        let mut url = url.clone();
        url.set_fragment(None);
        self.taken.insert(url.as_str().to_owned());
    }

    /// Whether a URL was already taken.
    #[must_use]
    pub fn is_taken(&self, url: &Url) -> bool {
        let mut url = url.clone();
        url.set_fragment(None);
        self.taken.contains(url.as_str())
    }

    /// The URLs still waiting, best first (for reporting what a limit cut off).
    pub fn drain(&mut self) -> Vec<Entry> {
        let mut rest = Vec::new();
        while let Some(e) = self.pop() {
            rest.push(e);
        }
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn priority_then_depth_then_order() {
        let mut f = Frontier::default();
        f.push(u("https://e.de/a"), 1, 0, false);
        f.push(u("https://e.de/b"), 1, 0, false);
        f.push(u("https://e.de/deep-kontakt"), 3, 100, false);
        f.push(u("https://e.de/c"), 0, 0, false);
        let order: Vec<_> = std::iter::from_fn(|| f.pop())
            .map(|e| e.url.path().to_owned())
            .collect();
        assert_eq!(order, ["/deep-kontakt", "/c", "/a", "/b"]);
    }

    #[test]
    fn each_url_once_and_upgrades_win() {
        let mut f = Frontier::default();
        f.push(u("https://e.de/x#top"), 2, 0, false);
        f.push(u("https://e.de/y"), 1, 0, false);
        f.push(u("https://e.de/x"), 1, 50, false);
        let first = f.pop().unwrap();
        assert_eq!(
            (first.url.path(), first.depth, first.priority),
            ("/x", 1, 50)
        );
        assert_eq!(f.pop().unwrap().url.path(), "/y");
        assert!(f.pop().is_none(), "the stale /x entry must not come back");
        f.push(u("https://e.de/x"), 0, 100, false);
        assert!(f.pop().is_none(), "a taken URL is never queued again");
    }
}
