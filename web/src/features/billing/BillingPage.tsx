import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { CreditsView, LedgerKind } from './api';
import { useCredits, useLedger, useSetSpendingLimits } from './queries';
import { agentPath } from '../catalog/api';
import { errorMessage, type FieldErrors } from '../../api/problem';
import { useMyRuns } from '../run/queries';
import { creditsLabel, formatMicros, formatSignedMicros } from '../../format/credits';
import { dailySeries, formatDateTime, formatDay } from '../../format/dates';
import { formatLatency, runStatusLabel } from '../run/format';
import { BarChart } from '../../ui/BarChart';
import { LoadError } from '../../ui/LoadError';
import { StatList } from '../../ui/StatList';
import { Field } from '../../ui/forms/Field';
import { FormAlert, FormNotice, SubmitButton } from '../../ui/forms/FormAlert';
import { focusFirstInvalid, formErrorsFrom, mergeErrors, useSubmitFailure } from '../../ui/forms/formErrors';
import { useSession } from '../../session/useSession';
import { useCurrentUser } from '../account/queries';
import { useHasOutbox } from '../email-verification/queries';
import { ResendLinkButton } from '../email-verification/ResendLinkButton';
import { LoadMoreButton } from '../../ui/LoadMoreButton';
import './billing.css';

const LEDGER_KIND_LABELS: Record<LedgerKind, string> = {
  signup_grant: 'Welcome credits',
  admin_grant: 'Credits from Agora',
  run_charge: 'Run',
  creator_earning: 'Earned from your agent',
};

function ledgerKindLabel(kind: string): string {
  return (LEDGER_KIND_LABELS as Record<string, string | undefined>)[kind] ?? kind;
}

/** An amount of credits as the API takes it: up to 6 decimals, not negative. */
const AMOUNT = /^\d+(\.\d{1,6})?$/;

function Balance({ credits }: { credits: CreditsView }) {
  const facts = [
    { label: 'Available', value: credits.available, testId: 'credits-available' },
    { label: 'Balance', value: credits.balance, testId: 'credits-balance' },
    { label: 'Held for runs in progress', value: credits.held, testId: 'credits-held' },
    { label: 'Spent today', value: credits.spent_today, testId: 'credits-spent-today' },
    { label: 'Spent this month', value: credits.spent_this_month, testId: 'credits-spent-month' },
  ];
  return (
    <StatList stats={facts} className="credit-stats" testId="credits" />
  );
}

/**
 * The free sign-up credits arrive once the account's email address is confirmed: said to
 * everyone, and while it is not confirmed, with the way to get a new link.
 */
function SignupCredits() {
  const { data: user } = useCurrentUser();
  const unconfirmed = user?.email_verified === false;
  const hasOutbox = useHasOutbox({ enabled: unconfirmed });
  if (!unconfirmed) {
    return (
      <p className="muted field-hint" data-testid="signup-credits-help">
        New accounts get free sign-up credits once their email address is confirmed.
      </p>
    );
  }
  return (
    <div className="notice signup-credits-pending" data-testid="signup-credits-pending">
      <p>
        Your free sign-up credits arrive once you confirm your email address: follow the link we sent to{' '}
        <strong>{user.email}</strong>.
      </p>
      <div className="signup-credits-actions">
        <ResendLinkButton />
        {hasOutbox && (
          <Link to="/outbox" className="text-link">
            Open the dev outbox
          </Link>
        )}
      </div>
    </div>
  );
}

/** The user's own daily and monthly caps; empty means no cap. */
function LimitsForm({ credits, userId }: { credits: CreditsView; userId: string }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [daily, setDaily] = useState(credits.daily_limit ?? '');
  const [monthly, setMonthly] = useState(credits.monthly_limit ?? '');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const [cooldown, onError] = useSubmitFailure(formRef);
  const save = useSetSpendingLimits(userId, {
    onSuccess: (updated) => {
      setDaily(updated.daily_limit ?? '');
      setMonthly(updated.monthly_limit ?? '');
    },
    onError,
  });
  const errors = mergeErrors(localErrors, formErrorsFrom(save.error, ['daily', 'monthly']));

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: FieldErrors = {};
    const values = { daily: daily.trim(), monthly: monthly.trim() };
    for (const [field, value] of Object.entries(values)) {
      if (value && !AMOUNT.test(value)) found[field] = ['Enter an amount of credits such as 2.5, or leave it empty.'];
    }
    setLocalErrors(found);
    if (Object.keys(found).length > 0) {
      save.reset();
      setTimeout(() => focusFirstInvalid(formRef.current));
      return;
    }
    save.mutate({ daily: values.daily || null, monthly: values.monthly || null });
  };

  return (
    <form ref={formRef} className="form" onSubmit={onSubmit} noValidate data-testid="limits-form">
      <FormAlert message={errors.form} requestId={errors.requestId} />
      <div className="form-row">
        <Field
          name="daily"
          label="Daily limit (credits)"
          optional
          inputMode="decimal"
          autoComplete="off"
          placeholder="No limit"
          value={daily}
          onChange={(event) => setDaily(event.target.value)}
          errors={errors.fields.daily}
          hint="Runs that could take you past it are refused. Days are UTC days."
        />
        <Field
          name="monthly"
          label="Monthly limit (credits)"
          optional
          inputMode="decimal"
          autoComplete="off"
          placeholder="No limit"
          value={monthly}
          onChange={(event) => setMonthly(event.target.value)}
          errors={errors.fields.monthly}
          hint="Leave empty for no limit."
        />
      </div>
      <div className="form-actions">
        <SubmitButton pending={save.isPending} pendingLabel="Saving…" cooldown={cooldown}>
          Save limits
        </SubmitButton>
        {save.isSuccess && <FormNotice testId="limits-saved">Limits saved.</FormNotice>}
      </div>
    </form>
  );
}

function SpendChart({ credits }: { credits: CreditsView }) {
  const days = dailySeries(credits.daily, (day) => day.spent_micros);
  const earned = dailySeries(credits.daily, (day) => day.earned_micros);
  const total = days.reduce((sum, day) => sum + day.value, 0);
  const totalEarned = earned.reduce((sum, day) => sum + day.value, 0);
  return (
    <>
      <p className="muted section-subtitle" data-testid="spend-total">
        {creditsLabel(formatMicros(total))} spent in the last 30 days
        {totalEarned > 0 ? `, ${creditsLabel(formatMicros(totalEarned))} earned from your agents` : ''}.
      </p>
      <BarChart
        title="Credits spent per day (UTC), the last 30 days"
        bars={days.map((day) => ({ label: formatDay(day.day), value: day.value }))}
        format={formatMicros}
        valueWidth="5.5rem"
        compact
        testId="spend-chart"
      />
    </>
  );
}

function Ledger({ userId }: { userId: string }) {
  const ledger = useLedger(userId);
  if (ledger.isPending) return <div className="skeleton skeleton-form" role="status" aria-label="Loading the ledger" />;
  if (ledger.error && !ledger.data) {
    return <LoadError what="the ledger" error={ledger.error} onRetry={() => void ledger.refetch()} compact />;
  }
  const entries = ledger.data.pages.flatMap((page) => page.entries);
  if (entries.length === 0) return <p className="muted empty-state">No credits in or out yet.</p>;
  return (
    <>
      <div className="table-scroll">
        <table className="data-table" data-testid="ledger">
          <caption className="visually-hidden">Credits in and out, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col" className="numeric">
                Amount
              </th>
              <th scope="col" className="numeric">
                Balance after
              </th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} data-testid="ledger-row" data-kind={entry.kind}>
                <td>
                  <time dateTime={entry.created_at}>{formatDateTime(entry.created_at)}</time>
                </td>
                <td>{ledgerKindLabel(entry.kind)}</td>
                <td className={`numeric ${entry.amount_micros < 0 ? 'amount-out' : 'amount-in'}`} data-testid="ledger-amount">
                  {formatSignedMicros(entry.amount_micros)}
                </td>
                <td className="numeric">{formatMicros(entry.balance_after_micros)}</td>
                <td className="muted">{entry.note || (entry.run_id ? <code title={entry.run_id}>run {entry.run_id.slice(-8)}</code> : '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {ledger.error && <p className="field-error" role="alert">Could not load more: {errorMessage(ledger.error)}</p>}
      {ledger.hasNextPage && (
        <LoadMoreButton pages={ledger} testId="ledger-more" />
      )}
    </>
  );
}

function Runs({ userId }: { userId: string }) {
  const runs = useMyRuns(userId);
  if (runs.isPending) return <div className="skeleton skeleton-form" role="status" aria-label="Loading your runs" />;
  if (runs.error && !runs.data) return <LoadError what="your runs" error={runs.error} onRetry={() => void runs.refetch()} compact />;
  const list = runs.data.pages.flatMap((page) => page.runs);
  if (list.length === 0) {
    return (
      <p className="muted empty-state" data-testid="no-runs">
        No runs yet. Try an agent from the{' '}
        <Link to="/marketplace" className="text-link">
          marketplace
        </Link>
        .
      </p>
    );
  }
  return (
    <>
      <div className="table-scroll">
        <table className="data-table" data-testid="runs">
          <caption className="visually-hidden">Your runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Model</th>
              <th scope="col" className="numeric">
                Tokens
              </th>
              <th scope="col" className="numeric">
                Cost (credits)
              </th>
              <th scope="col" className="numeric">
                Latency
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((run) => (
              <tr key={run.id} data-testid="run-row" data-run-id={run.id} data-agent={run.agent} data-status={run.status}>
                <td>
                  <time dateTime={run.created_at}>{formatDateTime(run.created_at)}</time>
                </td>
                <td>
                  <Link to={agentPath(run.agent)} className="text-link">
                    {run.agent}
                  </Link>
                  {run.agent_version != null ? <span className="muted"> v{run.agent_version}</span> : <span className="muted"> draft</span>}
                </td>
                <td>
                  <span className={`tag-badge run-status run-status-${run.status}`} data-testid="run-status" title={run.error?.detail ?? undefined}>
                    {runStatusLabel(run.status)}
                  </span>
                </td>
                <td>{run.model ? <code>{run.provider ? `${run.provider}/${run.model}` : run.model}</code> : <span className="muted">—</span>}</td>
                <td className="numeric" title={`${run.input_tokens} in, ${run.output_tokens} out`}>
                  {run.input_tokens + run.output_tokens}
                  {run.usage_estimated ? '*' : ''}
                </td>
                <td className="numeric" data-testid="run-cost" title={`Agent price ${formatMicros(run.agent_price_micros)}, model ${formatMicros(run.model_cost_micros)}`}>
                  {formatMicros(run.charged_micros)}
                </td>
                <td className="numeric">{formatLatency(run.latency_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted field-hint">Cost is the agent’s price plus what the model cost. * Token counts estimated by Agora.</p>
      {runs.error && <p className="field-error" role="alert">Could not load more: {errorMessage(runs.error)}</p>}
      {runs.hasNextPage && (
        <LoadMoreButton pages={runs} testId="runs-more" />
      )}
    </>
  );
}

/** /account/billing: credits, spending limits, daily spend, the ledger and the runs with their cost. */
export function BillingPage() {
  const { userId } = useSession();
  const credits = useCredits();
  if (!userId) return null;
  return (
    <>
      <title>Usage & billing · Agora</title>
      <section className="card settings-section" aria-labelledby="credits-title">
        <h2 id="credits-title" className="section-title">
          Credits
        </h2>
        {credits.isPending ? (
          <div className="skeleton skeleton-form" role="status" aria-label="Loading your credits" />
        ) : credits.data ? (
          <>
            <Balance credits={credits.data} />
            <p className="muted field-hint">
              Each run holds its worst-case cost while it runs, then charges what it really cost. Amounts are in credits.
            </p>
            <p className="muted field-hint" data-testid="add-credits-help">
              To add credits, ask the administrators of this Agora: they can grant them to your account.
            </p>
            <SignupCredits />
          </>
        ) : (
          <LoadError what="your credits" error={credits.error} onRetry={() => void credits.refetch()} compact />
        )}
      </section>
      {credits.data && (
        <>
          <section className="card settings-section" aria-labelledby="spend-title">
            <h2 id="spend-title" className="section-title">
              Spending over time
            </h2>
            <SpendChart credits={credits.data} />
          </section>
          <section className="card settings-section" aria-labelledby="limits-title">
            <h2 id="limits-title" className="section-title">
              Spending limits
            </h2>
            <p className="muted section-subtitle">Caps of your own, on top of your balance.</p>
            <LimitsForm credits={credits.data} userId={userId} />
          </section>
        </>
      )}
      <section className="card settings-section" aria-labelledby="runs-title">
        <h2 id="runs-title" className="section-title">
          Your runs
        </h2>
        <Runs userId={userId} />
      </section>
      <section className="card settings-section" aria-labelledby="ledger-title">
        <h2 id="ledger-title" className="section-title">
          Ledger
        </h2>
        <Ledger userId={userId} />
      </section>
    </>
  );
}
