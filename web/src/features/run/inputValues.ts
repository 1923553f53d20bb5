import type { InputField } from '../catalog/api';
import type { FieldErrors } from '../../api/problem';
import type { InputValues } from './api';

/** What the form holds per input field: text for text, number and choice fields, a flag for yes/no ones. */
export type RawInputs = Record<string, string | boolean>;

/** The field name the API reports an input's errors under. */
export function inputFieldName(name: string): string {
  return `inputs.${name}`;
}

/** Empty values for the agent's fields (yes/no fields start as "no"). */
export function emptyInputs(fields: InputField[]): RawInputs {
  return Object.fromEntries(fields.map((field) => [field.name, field.type === 'boolean' ? false : '']));
}

/**
 * The `inputs` of a request from what the form holds: numbers as numbers, empty optional
 * fields left out. The checks here are the ones a form can make at once (a required field,
 * a number); the server checks the rest and reports each field as `inputs.<name>`.
 */
export function inputsForRequest(fields: InputField[], raw: RawInputs): { values: InputValues; errors: FieldErrors } {
  const values: InputValues = {};
  const errors: FieldErrors = {};
  for (const field of fields) {
    const value = raw[field.name];
    const key = inputFieldName(field.name);
    if (field.type === 'boolean') {
      values[field.name] = value === true;
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (!text) {
      if (field.required) errors[key] = [`${field.label} is required.`];
      continue;
    }
    if (field.type === 'number') {
      const number = Number(text);
      if (!Number.isFinite(number)) errors[key] = ['Enter a number, such as 12 or 3.5.'];
      else values[field.name] = number;
      continue;
    }
    if (field.type === 'select' && field.options && !field.options.includes(text)) {
      errors[key] = [`Choose one of: ${field.options.join(', ')}.`];
      continue;
    }
    values[field.name] = field.type === 'long_text' ? (value as string) : text;
  }
  return { values, errors };
}
