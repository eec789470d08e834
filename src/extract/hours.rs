//! Opening and service hours written in a block of text: day-and-time ranges in German, English,
//! Spanish, French, Italian and Dutch, and round-the-clock words from `rules/cues/hours.toml`. The extract stage attaches
//! them to the channels written in the same or a neighbouring block.

use std::sync::LazyLock;

use regex::Regex;

use crate::crawl::classify::starts_word;
use crate::rules::HoursCues;

/// The hours written in one block of text, as written.
pub(super) fn in_text(text: &str, cues: &HoursCues) -> Vec<String> {
    static RANGES: LazyLock<Regex> = LazyLock::new(|| {
        let de_day = r"(?:mo(?:ntag)?|di(?:enstag)?|mi(?:ttwoch)?|do(?:nnerstag)?|fr(?:eitag)?|sa(?:mstag)?|so(?:nntag)?|werktags|täglich|feiertags?)";
        let en_day = r"(?:mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?|weekdays|daily|bank holidays)";
        let es_day = r"(?:lunes|martes|miércoles|jueves|viernes|sábados?|domingos?|festivos)";
        let fr_day = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim|tous les jours|jours fériés)";
        let it_day = r"(?:lunedì|lunedi|martedì|martedi|mercoledì|mercoledi|giovedì|giovedi|venerdì|venerdi|sabato|domenica|tutti i giorni|festivi)";
        let nl_day = r"(?:maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|ma|wo|vr|za|zo|dagelijks)";
        let day = format!("(?:{de_day}|{en_day}|{es_day}|{fr_day}|{it_day}|{nl_day})");
        // Spanish one-letter ranges: "L-V 9-14 h" (lunes a viernes; X is miércoles).
        let es_letters = r"[LMXJVSD]\s*[-–]\s*[LMXJVSD]";
        // "8–20 Uhr", "9am", "6h30", "9 h", "9.00 uur".
        let time = r"\d{1,2}(?:[:.h]\d{2})?\s*(?:uhr|h|uur|am|pm|a\.m\.|p\.m\.)?";
        let to = r"(?:bis|to|a|à|au|al|alle|tot|–|-)";
        // "tutti i giorni tranne il lunedì", "täglich außer Montag".
        let except = format!(
            r"(?:\s*,?\s*(?:tranne|except|außer|sauf|excepto)\s+(?:il\s+|le\s+|el\s+)?{day})?"
        );
        Regex::new(&format!(
            r"(?i)(?-u:\b)(?:{day}\.?(?:\s*(?:bis|to|a|au|al|t/m|tot en met|–|-|und|&|,)\s*{day}\.?)*{except}|{es_letters})\s*[,:]?\s*(?:von\s*|from\s*|de\s*|dalle\s*|van\s*)?{time}\s*{to}\s*{time}(?:\s*(?:und|and|y|et|e|en|,|/)\s*{time}\s*{to}\s*{time})?"
        ))
        .expect("valid regex")
    });
    let mut out: Vec<String> = RANGES
        .find_iter(text)
        .map(|m| crate::crawl::collapse(m.as_str().trim_end_matches([',', ' '])))
        .collect();
    let lower = text.to_lowercase();
    if let Some(word) = cues.always.iter().find(|w| contains_word(&lower, w)) {
        out.push(word.clone());
    }
    out
}

fn contains_word(text: &str, word: &str) -> bool {
    // "24h" and "24/7" start with digits, so plain containment with a boundary check.
    starts_word(text, word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn hours(text: &str) -> Vec<String> {
        in_text(text, &Rules::embedded().unwrap().hours)
    }

    #[test]
    fn ranges_as_written() {
        assert_eq!(
            hours("Hotline: Mo–Fr 8–20 Uhr, Sa 9–14 Uhr"),
            ["Mo–Fr 8–20 Uhr", "Sa 9–14 Uhr"]
        );
        assert_eq!(
            hours("erreichbar Montag bis Freitag von 08:00 bis 18:00 Uhr"),
            ["Montag bis Freitag von 08:00 bis 18:00 Uhr"]
        );
        assert_eq!(hours("Lines are open Mon-Fri 9am-5pm"), ["Mon-Fri 9am-5pm"]);
        assert_eq!(
            hours("de lunes a viernes de 9:00 a 18:00 h"),
            ["lunes a viernes de 9:00 a 18:00 h"]
        );
        assert_eq!(hours("Störungsdienst rund um die Uhr"), ["rund um die uhr"]);
        assert!(hours("Lieferung in 2–3 Werktagen").is_empty());
        assert_eq!(hours("900 123 456 · Horario: L-V 9-14 h"), ["L-V 9-14 h"]);
        assert_eq!(
            hours("04 42 84 31 60 poste 12 (du lundi au vendredi, de 8h à 16h)"),
            ["lundi au vendredi, de 8h à 16h"]
        );
        assert_eq!(
            hours("Du mardi au samedi 6h30–19h30, le dimanche 7h–13h"),
            ["mardi au samedi 6h30–19h30", "dimanche 7h–13h"]
        );
        assert_eq!(
            hours("bereikbaar ma t/m za 9.00 – 18.00 uur"),
            ["ma t/m za 9.00 – 18.00 uur"]
        );
        assert_eq!(
            hours("tutti i giorni tranne il lunedì dalle 11:00 alle 23:00"),
            ["tutti i giorni tranne il lunedì dalle 11:00 alle 23:00"]
        );
        assert!(
            hours("wir antworten in der Regel innerhalb von 24 Stunden").is_empty(),
            "a reply time is not opening hours"
        );
    }
}
