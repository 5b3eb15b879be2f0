//! Slurm options written as one line of `key=value` words (`time=01:00:00 mem=4G`), the form a
//! screen edits; the keys are the flags' names (`--partition`, `--time`, `--cpus`, `--mem`,
//! `--account`), and the values are checked as the flags are (`SlurmOptions::check`).

use super::SlurmOptions;

const KEYS: &str = "partition=, time=, cpus=, mem= or account=";

impl SlurmOptions {
    /// Reads `partition=P time=HH:MM:SS cpus=N mem=SIZE account=A` (any of them, any order),
    /// checked; a word that is not one of them is refused by name.
    pub fn parse_text(text: &str) -> Result<SlurmOptions, String> {
        let mut options = SlurmOptions::default();
        for word in text.split_whitespace() {
            let Some((key, value)) = word.split_once('=') else {
                return Err(format!("'{word}': expected {KEYS}"));
            };
            let value = value.to_string();
            match key {
                "partition" => options.partition = Some(value),
                "time" => options.time = Some(value),
                "cpus" => {
                    options.cpus =
                        Some(value.parse().map_err(|_| {
                            format!("cpus={value}: expected a whole number of CPUs")
                        })?);
                }
                "mem" => options.mem = Some(value),
                "account" => options.account = Some(value),
                _ => return Err(format!("'{key}': expected {KEYS}")),
            }
        }
        options.check()?;
        Ok(options)
    }

    /// These options as `parse_text` reads them back.
    pub fn to_text(&self) -> String {
        let words: [(&str, Option<String>); 5] = [
            ("partition", self.partition.clone()),
            ("time", self.time.clone()),
            ("cpus", self.cpus.map(|c| c.to_string())),
            ("mem", self.mem.clone()),
            ("account", self.account.clone()),
        ];
        words
            .iter()
            .filter_map(|(key, value)| value.as_ref().map(|v| format!("{key}={v}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_back_as_written_and_a_wrong_word_is_named() {
        let options = SlurmOptions {
            partition: Some("cpu".into()),
            time: Some("01:30:00".into()),
            cpus: Some(4),
            mem: Some("8G".into()),
            account: Some("retail".into()),
        };
        let text = options.to_text();
        assert_eq!(
            text,
            "partition=cpu time=01:30:00 cpus=4 mem=8G account=retail"
        );
        assert_eq!(SlurmOptions::parse_text(&text), Ok(options));
        assert_eq!(SlurmOptions::parse_text("  "), Ok(SlurmOptions::default()));
        let wrong = |text: &str| SlurmOptions::parse_text(text).expect_err(text);
        assert!(
            wrong("tim=1").contains("'tim': expected partition="),
            "{}",
            wrong("tim=1")
        );
        assert!(wrong("4G").contains("'4G': expected"));
        assert!(wrong("cpus=two").contains("cpus=two: expected a whole number"));
        assert!(wrong("time=1h").contains("expected HH:MM:SS"));
        assert!(wrong("mem=lots").contains("expected a size"));
    }
}
