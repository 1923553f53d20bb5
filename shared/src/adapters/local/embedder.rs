//! The offline embedder (`agora/offline-hash-256`): the default when no embedding provider
//! is configured. It hashes words and their character trigrams into 256 signed buckets
//! (feature hashing) and normalises the result, so texts that share words and word parts
//! end up close. It knows no synonyms: it is labelled as offline wherever its results show,
//! and a provider model (`AGORA_EMBEDDER`) gives real semantic search.

use async_trait::async_trait;

use crate::ports::{EMBEDDING_DIMENSIONS, Embedder};

pub const OFFLINE_MODEL: &str = "agora/offline-hash-256";

/// Words too common to say anything about a text.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "i", "in", "into", "is", "it",
    "its", "me", "my", "of", "on", "or", "that", "the", "this", "to", "was", "we", "with", "you",
    "your",
];

#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineEmbedder;

impl OfflineEmbedder {
    /// The embedding of one text; the same text always gives the same vector.
    pub fn embed_one(text: &str) -> Vec<f32> {
        let mut vector = vec![0f32; EMBEDDING_DIMENSIONS];
        let lowered = text.to_lowercase();
        for word in lowered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty() && !STOP_WORDS.contains(word))
        {
            let stem = stem(word);
            add(&mut vector, stem.as_bytes(), 1.0);
            let padded: Vec<char> = format!("^{stem}$").chars().collect();
            for trigram in padded.windows(3) {
                let trigram: String = trigram.iter().collect();
                add(&mut vector, trigram.as_bytes(), 0.35);
            }
        }
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            vector.iter_mut().for_each(|x| *x /= norm);
        }
        vector
    }
}

#[async_trait]
impl Embedder for OfflineEmbedder {
    fn model(&self) -> &str {
        OFFLINE_MODEL
    }

    async fn embed(&self, texts: &[String]) -> crate::Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|text| Self::embed_one(text)).collect())
    }
}

/// Plural and verb endings off, so "contracts" and "contract" meet.
fn stem(word: &str) -> &str {
    for suffix in ["ing", "ers", "ies", "ed", "es", "er", "s"] {
        if let Some(stem) = word.strip_suffix(suffix)
            && stem.chars().count() >= 3
        {
            return stem;
        }
    }
    word
}

fn add(vector: &mut [f32], feature: &[u8], weight: f32) {
    let hash = fnv1a(feature);
    let bucket = (hash % EMBEDDING_DIMENSIONS as u64) as usize;
    let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
    vector[bucket] += sign * weight;
}

/// FNV-1a: stable across builds and Rust versions, which stored embeddings need.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn vectors_are_unit_length_stable_and_closer_for_related_texts() {
        let contract =
            OfflineEmbedder::embed_one("Reviews legal contracts and finds risky clauses");
        assert_eq!(contract.len(), EMBEDDING_DIMENSIONS);
        assert!((cosine(&contract, &contract) - 1.0).abs() < 1e-5);
        assert_eq!(
            contract,
            OfflineEmbedder::embed_one("Reviews legal contracts and finds risky clauses")
        );
        let query = OfflineEmbedder::embed_one("check my contract for risky clause");
        let unrelated = OfflineEmbedder::embed_one("Writes funny poems about cats");
        assert!(cosine(&query, &contract) > cosine(&query, &unrelated) + 0.2);
        let typo = OfflineEmbedder::embed_one("contrcat review");
        assert!(cosine(&typo, &contract) > cosine(&typo, &unrelated));
        assert!(OfflineEmbedder::embed_one("").iter().all(|x| *x == 0.0));
    }
}
