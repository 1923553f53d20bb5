import { useState } from 'react';
import type { FacetCount, Facets } from './api';
import { languageLabel, licenceLabel, providerLabel } from './format';
import { isFacetSelected, type FacetName, type SearchState } from './searchState';

const FACETS: { name: FacetName; title: string }[] = [
  { name: 'category', title: 'Category' },
  { name: 'tags', title: 'Tags' },
  { name: 'provider', title: 'Model provider' },
  { name: 'language', title: 'Language' },
  { name: 'licence', title: 'Licence' },
];

/** How many values a facet shows before "Show all". */
const COLLAPSED = 6;

function valueLabel(facet: FacetName, value: string, categoryNames: Map<string, string>): string {
  switch (facet) {
    case 'category':
      return categoryNames.get(value) ?? value;
    case 'tags':
      return `#${value}`;
    case 'provider':
      return providerLabel(value);
    case 'language':
      return languageLabel(value);
    case 'licence':
      return licenceLabel(value);
  }
}

/**
 * The selected values first (with a 0 count when the server no longer lists them, say
 * from a shared link), then the rest in the server's order (most agents first).
 */
function facetValues(state: SearchState, facet: FacetName, counts: FacetCount[]): FacetCount[] {
  const selected = facet === 'tags' ? state.tags : state[facet] ? [state[facet]] : [];
  const byValue = new Map(counts.map((count) => [count.value, count]));
  const first = selected.map((value) => byValue.get(value) ?? { value, count: 0 });
  return [...first, ...counts.filter((count) => !selected.includes(count.value))];
}

function FacetGroup({
  facet,
  title,
  counts,
  state,
  categoryNames,
  onToggle,
}: {
  facet: FacetName;
  title: string;
  counts: FacetCount[];
  state: SearchState;
  categoryNames: Map<string, string>;
  onToggle: (facet: FacetName, value: string) => void;
}) {
  const [expanded, setExpanded] = useState(false);
  const values = facetValues(state, facet, counts);
  if (values.length === 0) return null;
  const shown = expanded ? values : values.slice(0, COLLAPSED);
  return (
    <fieldset className="facet" data-testid={`facet-${facet}`}>
      <legend className="facet-title">{title}</legend>
      <ul className="facet-values">
        {shown.map(({ value, count }) => {
          const selected = isFacetSelected(state, facet, value);
          return (
            <li key={value}>
              <label className={`facet-option${selected ? ' is-selected' : ''}`}>
                <input
                  type="checkbox"
                  checked={selected}
                  onChange={() => onToggle(facet, value)}
                  data-testid={`facet-${facet}-${value}`}
                />
                <span className="facet-label">{valueLabel(facet, value, categoryNames)}</span>
                <span className="facet-count" aria-label={`${count} agents`}>
                  {count}
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      {values.length > COLLAPSED && (
        <button type="button" className="link-button" onClick={() => setExpanded(!expanded)} aria-expanded={expanded}>
          {expanded ? 'Show fewer' : `Show all ${values.length}`}
        </button>
      )}
    </fieldset>
  );
}

/** The facet filters with their counts (from the first page of results). */
export function FacetPanel({
  facets,
  state,
  categoryNames,
  onToggle,
}: {
  facets: Facets | null | undefined;
  state: SearchState;
  categoryNames: Map<string, string>;
  onToggle: (facet: FacetName, value: string) => void;
}) {
  if (!facets) return null;
  return (
    <div className="facet-panel">
      {FACETS.map(({ name, title }) => (
        <FacetGroup
          key={name}
          facet={name}
          title={title}
          counts={facets[name]}
          state={state}
          categoryNames={categoryNames}
          onToggle={onToggle}
        />
      ))}
    </div>
  );
}
