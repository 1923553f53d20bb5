//! Catalog search, written once over any [`SearchIndex`]: the mode (keyword, semantic or
//! both with their rankings fused), the sort, the page (keyset pages for browsing, offsets
//! into a ranking for searches) and the facet counts. The index adapters only rank ids.

use uuid::Uuid;

use crate::{
    Result,
    ports::{CatalogFilters, CatalogSort, Facets, SearchIndex, SearchMode, SortKey},
};

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PageStart {
    First,
    /// After the row with this sort value and id (browse).
    After {
        key: i64,
        id: Uuid,
    },
    /// After this many results (ranked search).
    Offset(usize),
}

#[derive(Clone, Debug)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub mode: SearchMode,
    /// The query's embedding, for semantic and hybrid search.
    pub embedding: Option<Vec<f32>>,
    pub filters: CatalogFilters,
    pub sort: CatalogSort,
    pub start: PageStart,
    pub limit: usize,
    /// Count facets (first page only): over the matching ranked results when there are
    /// words, over the filtered listing otherwise.
    pub facets: bool,
}

/// One page of agent ids in order, where the next page starts, and facet counts.
#[derive(Clone, Debug, Default)]
pub struct CatalogPage {
    pub agent_ids: Vec<Uuid>,
    pub next: Option<PageStart>,
    pub facets: Facets,
}

/// One page of `query` from `index`.
pub async fn search(index: &dyn SearchIndex, query: &CatalogQuery) -> Result<CatalogPage> {
    let text = query.text.as_deref().filter(|text| !text.trim().is_empty());
    let ranked = match text {
        Some(text) => Some(ranked(index, query, text).await?),
        None => None,
    };
    let (agent_ids, next) = match &ranked {
        Some(ranked) => page(ranked, &query.start, query.limit),
        None => browse(index, query).await?,
    };
    let facets = if query.facets && query.start == PageStart::First {
        index.facets(&query.filters, ranked.as_deref()).await?
    } else {
        Facets::default()
    };
    Ok(CatalogPage {
        agent_ids,
        next,
        facets,
    })
}

/// Every result of a text query, best first (or in the query's sort).
async fn ranked(index: &dyn SearchIndex, query: &CatalogQuery, text: &str) -> Result<Vec<Uuid>> {
    let filters = &query.filters;
    let ranked = match (query.mode, &query.embedding) {
        (SearchMode::Keyword, _) | (_, None) => {
            index.keyword_ids(filters, text, RANKED_DEPTH).await?
        }
        (SearchMode::Semantic, Some(embedding)) => {
            index.semantic_ids(filters, embedding, RANKED_DEPTH).await?
        }
        (SearchMode::Hybrid, Some(embedding)) => {
            let (keyword, semantic) = tokio::try_join!(
                index.keyword_ids(filters, text, RANKED_DEPTH / 2),
                index.semantic_ids(filters, embedding, RANKED_DEPTH / 2),
            )?;
            fuse(&keyword, &semantic)
        }
    };
    match query.sort {
        CatalogSort::Relevance => Ok(ranked),
        sort => index.sorted(&ranked, sort).await,
    }
}

/// A browse page in keyset order, and where the next one starts.
async fn browse(
    index: &dyn SearchIndex,
    query: &CatalogQuery,
) -> Result<(Vec<Uuid>, Option<PageStart>)> {
    let after = match query.start {
        PageStart::After { key, id } => Some(SortKey { key, id }),
        PageStart::First | PageStart::Offset(_) => None,
    };
    // One more than a page tells whether there is a next one.
    let mut rows = index
        .browse(&query.filters, query.sort, after, query.limit + 1)
        .await?;
    let next = if rows.len() > query.limit {
        rows.truncate(query.limit);
        rows.last().map(|row| PageStart::After {
            key: row.key,
            id: row.id,
        })
    } else {
        None
    };
    Ok((rows.into_iter().map(|row| row.id).collect(), next))
}

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
