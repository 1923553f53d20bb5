import { useQuery } from '@tanstack/react-query';
import { splitAddress, versionsQuery } from '../../catalog/api';
import { useSession } from '../../../session/useSession';

/** The published versions of the agent at `ref` (`handle/slug`), newest first; idle for an empty or malformed ref. */
export function useAgentVersions(ref: string) {
  const { userId } = useSession();
  const parts = splitAddress(ref);
  return useQuery({
    ...versionsQuery(userId, parts?.handle ?? '', parts?.slug ?? ''),
    enabled: parts !== null,
    staleTime: 60_000,
  });
}
