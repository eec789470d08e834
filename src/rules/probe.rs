//! `rules/probe.toml`: the text of a probe and which channels get one.

use std::path::Path;

use serde::Deserialize;

use super::{RulesError, invalid_at};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeRules {
    /// One message per language.
    #[serde(rename = "message")]
    pub messages: Vec<Message>,
    /// Which channels are skipped.
    pub channels: ChannelRules,
    /// What a contact form may ask for.
    pub form: FormWords,
}

/// A probe's text in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// `de`, `en`, `es`.
    pub lang: String,
    /// Top-level domains and ISO countries (lower case) whose sites get this language.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Subject with `{token}`.
    pub subject: String,
    /// Body with `{name}` and `{token}`.
    pub body: String,
}

/// Which channels are not probed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelRules {
    /// Role labels probed first.
    #[serde(default)]
    pub prefer_roles: Vec<String>,
    /// Role labels whose addresses and forms are not for customers' questions.
    pub skip_roles: Vec<String>,
    /// E-mail local parts of such desks (`presse`, `datenschutz`, `jobs`).
    pub skip_local_parts: Vec<String>,
}

/// Field-name words by purpose (matched lower-case in a field's name and label).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormWords {
    /// The sender's name.
    pub name: Vec<String>,
    /// The reply address.
    pub email: Vec<String>,
    /// The subject.
    pub subject: Vec<String>,
    /// The message text.
    pub message: Vec<String>,
    /// A privacy consent checkbox.
    pub consent: Vec<String>,
    /// A salutation select.
    pub salutation: Vec<String>,
    /// Salutation choices that claim nothing about the sender (chosen when one is required).
    #[serde(default)]
    pub neutral: Vec<String>,
    /// Words of a consent box that agrees to advertising: never ticked.
    #[serde(default)]
    pub marketing: Vec<String>,
}

impl ProbeRules {
    /// The language for a country or top-level domain (lower or upper case), if one lists it.
    #[must_use]
    pub fn language_of(&self, country: &str) -> Option<&str> {
        let cc = country.to_ascii_lowercase();
        self.messages
            .iter()
            .find(|m| m.countries.contains(&cc))
            .map(|m| m.lang.as_str())
    }

    /// The message for a language, else the English one.
    #[must_use]
    pub fn message(&self, lang: &str) -> &Message {
        self.messages
            .iter()
            .find(|m| m.lang == lang)
            .or_else(|| self.messages.iter().find(|m| m.lang == "en"))
            .unwrap_or(&self.messages[0])
    }

    /// Every message carries the token in subject and body (or replies cannot be matched) and
    /// the sender's name; an English one exists as the fallback.
    pub(super) fn validate(&mut self, file: &Path, text: &str) -> Result<(), RulesError> {
        if !self.messages.iter().any(|m| m.lang == "en") {
            return Err(invalid_at(
                file,
                text,
                "[[message]]",
                "an English [[message]] is needed as the fallback for other languages".into(),
            ));
        }
        for m in &self.messages {
            for (part, value) in [("subject", &m.subject), ("body", &m.body)] {
                if !value.contains("{token}") {
                    return Err(invalid_at(
                        file,
                        text,
                        &format!("lang = \"{}\"", m.lang),
                        format!(
                            "the {} message's {part} lacks {{token}}; replies could not be matched",
                            m.lang
                        ),
                    ));
                }
            }
            if !m.body.contains("{name}") {
                return Err(invalid_at(
                    file,
                    text,
                    &format!("lang = \"{}\"", m.lang),
                    format!(
                        "the {} message's body lacks {{name}}: a probe is signed",
                        m.lang
                    ),
                ));
            }
        }
        for m in &mut self.messages {
            for c in &mut m.countries {
                *c = c.trim().to_ascii_lowercase();
            }
        }
        for list in [
            &mut self.channels.prefer_roles,
            &mut self.channels.skip_roles,
            &mut self.channels.skip_local_parts,
            &mut self.form.name,
            &mut self.form.email,
            &mut self.form.subject,
            &mut self.form.message,
            &mut self.form.consent,
            &mut self.form.salutation,
        ] {
            for w in list.iter_mut() {
                *w = w.trim().to_lowercase();
            }
        }
        Ok(())
    }
}
