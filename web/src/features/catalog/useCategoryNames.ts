import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { categoriesQuery } from './api';

/** Category slug to display name, from GET /v1/categories (empty until it answers). */
export function useCategoryNames(): Map<string, string> {
  const { data } = useQuery(categoriesQuery);
  return useMemo(() => new Map((data ?? []).map((category) => [category.slug, category.name])), [data]);
}
