//! What both search-index adapters do the same way once they have rankings: fuse a
//! keyword ranking with a semantic one, and cut a page out of a ranked list.

use uuid::Uuid;

use crate::ports::PageStart;

/// How many results of each kind hybrid search fuses, and how deep ranked search pages go.
pub const RANKED_DEPTH: usize = 100;

/// Reciprocal rank fusion (k = 60, the usual constant): ids both rankings place high come
/// first; ties go to the smaller id so pages are stable.
pub fn fuse(first: &[Uuid], second: &[Uuid]) -> Vec<Uuid> {
    let mut scores: Vec<(Uuid, f64)> = Vec::new();
    for ranking in [first, second] {
        for (rank, id) in ranking.iter().enumerate() {
            let score = 1.0 / (61.0 + rank as f64);
            match scores.iter_mut().find(|(seen, _)| seen == id) {
                Some((_, total)) => *total += score,
                None => scores.push((*id, score)),
            }
        }
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scores.into_iter().map(|(id, _)| id).collect()
}

/// The page of `ranked` that starts at `start`, and where the next one starts.
pub fn page(ranked: &[Uuid], start: &PageStart, limit: usize) -> (Vec<Uuid>, Option<PageStart>) {
    let offset = match start {
        PageStart::Offset(offset) => *offset,
        PageStart::First | PageStart::After { .. } => 0,
    };
    let ids = ranked.iter().skip(offset).take(limit).copied().collect();
    let next = (offset + limit < ranked.len()).then(|| PageStart::Offset(offset + limit));
    (ids, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_favours_what_both_rankings_agree_on_and_pages_cut_cleanly() {
        let [a, b, c, d] = [1, 2, 3, 4].map(Uuid::from_u128);
        assert_eq!(fuse(&[a, b, c], &[c, d, b]), vec![c, b, a, d]);
        let ranked = [a, b, c, d];
        assert_eq!(
            page(&ranked, &PageStart::First, 3),
            (vec![a, b, c], Some(PageStart::Offset(3)))
        );
        assert_eq!(page(&ranked, &PageStart::Offset(3), 3), (vec![d], None));
        assert_eq!(page(&ranked, &PageStart::Offset(9), 3), (vec![], None));
    }
}
