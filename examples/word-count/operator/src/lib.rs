//! The first half of the word-count example: a stateless UDF that splits
//! each line of text into lowercase words and emits one record per word,
//! keyed by the word, so a keyed operator downstream sees every occurrence of
//! a word in one place.

use weir_sdk::prelude::*;

/// Splits lines into words.
pub struct Tokenize;

impl Udf for Tokenize {
    type Config = ();

    fn open(_: ()) -> Result<Self> {
        Ok(Tokenize)
    }

    fn transform(&mut self, record: RecordRef<'_>, out: &mut UdfOutput) -> Result<()> {
        for word in words(record.value_str()?) {
            out.emit(RecordRef::keyed(word.as_bytes(), word.as_bytes()));
        }
        Ok(())
    }
}

weir_sdk::export_udf!(Tokenize);

/// The words of `line`, lowercased: runs of letters, digits and apostrophes,
/// without apostrophes at either end (so `don't` stays one word and
/// `'quoted'` loses its quotes).
pub fn words(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use weir_sdk::testing::UdfHarness;

    use super::*;

    #[test]
    fn splits_on_punctuation_and_lowercases() {
        let got: Vec<String> = words("The weir's 'crest', 2 feet -- HIGH!").collect();
        assert_eq!(got, ["the", "weir's", "crest", "2", "feet", "high"]);
        assert_eq!(words("  ... ''  ").count(), 0);
    }

    #[test]
    fn emits_one_record_per_word_keyed_by_the_word() {
        let mut h = UdfHarness::<Tokenize>::new(()).unwrap();
        let out = h.transform(Record::new("Water, water")).unwrap();
        assert_eq!(
            out,
            vec![
                Record::keyed("water", "water"),
                Record::keyed("water", "water")
            ]
        );
        assert!(h.transform(Record::new("")).unwrap().is_empty());
    }

    #[test]
    fn rejects_lines_that_are_not_text() {
        let mut h = UdfHarness::<Tokenize>::new(()).unwrap();
        assert!(h.transform(Record::new(vec![0xff, 0xfe])).is_err());
    }
}
