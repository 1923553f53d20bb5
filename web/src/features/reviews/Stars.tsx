import { useId } from 'react';

/** "4.3 out of 5 stars": five stars, filled to the nearest half, read as one phrase. */
export function Stars({ rating, testId }: { rating: number; testId?: string }) {
  const rounded = Math.round(rating * 2) / 2;
  const label = `${Number.isInteger(rating) ? rating : rating.toFixed(1)} out of 5 stars`;
  return (
    <span className="stars" role="img" aria-label={label} title={label} data-testid={testId} data-rating={rating}>
      {[1, 2, 3, 4, 5].map((star) => (
        <span
          key={star}
          aria-hidden="true"
          className={`star${rounded >= star ? ' is-full' : rounded >= star - 0.5 ? ' is-half' : ''}`}
        >
          ★
        </span>
      ))}
    </span>
  );
}

/** Five radio buttons styled as stars: a real radio group for keyboards and screen readers. */
export function StarInput({
  value,
  onChange,
  disabled,
  errors,
}: {
  value: number;
  onChange: (rating: number) => void;
  disabled?: boolean;
  errors?: string[] | undefined;
}) {
  const name = useId();
  const errorId = errors && errors.length > 0 ? `${name}-error` : undefined;
  return (
    <fieldset className={`star-input${errorId ? ' has-error' : ''}`} aria-describedby={errorId} disabled={disabled}>
      <legend className="field-label">Your rating</legend>
      <div className="star-input-options">
        {[1, 2, 3, 4, 5].map((star) => (
          <label key={star} className={`star-option${value >= star ? ' is-on' : ''}`} title={`${star} of 5`}>
            <input
              type="radio"
              name={name}
              value={star}
              checked={value === star}
              onChange={() => onChange(star)}
              className="visually-hidden"
              data-testid={`rating-${star}`}
            />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">
              {star} {star === 1 ? 'star' : 'stars'}
            </span>
          </label>
        ))}
      </div>
      {errorId && (
        <div id={errorId} className="field-errors" data-testid="field-error-rating">
          {errors?.map((message) => (
            <p key={message} className="field-error">
              {message}
            </p>
          ))}
        </div>
      )}
    </fieldset>
  );
}
