import { describe, expect, it } from 'vitest';
import type { InputField } from '../catalog/api';
import { emptyInputs, inputsForRequest } from './inputValues';

const FIELDS: InputField[] = [
  { name: 'contract', label: 'Contract', type: 'long_text', required: true },
  { name: 'pages', label: 'Pages', type: 'number', required: false },
  { name: 'tone', label: 'Tone', type: 'select', required: false, options: ['formal', 'casual'] },
  { name: 'strict', label: 'Strict', type: 'boolean', required: false },
  { name: 'note', label: 'Note', type: 'text', required: false },
];

describe('agent input values', () => {
  it('starts empty, yes/no fields as no', () => {
    expect(emptyInputs(FIELDS)).toEqual({ contract: '', pages: '', tone: '', strict: false, note: '' });
  });

  it('sends numbers as numbers, flags as flags, and leaves empty optional fields out', () => {
    const { values, errors } = inputsForRequest(FIELDS, {
      contract: '  Clause 1\nClause 2  ',
      pages: '12.5',
      tone: 'casual',
      strict: true,
      note: '   ',
    });
    expect(errors).toEqual({});
    expect(values).toEqual({ contract: '  Clause 1\nClause 2  ', pages: 12.5, tone: 'casual', strict: true });
  });

  it('names each problem by the field the API would report', () => {
    const { errors } = inputsForRequest(FIELDS, { contract: ' ', pages: 'twelve', tone: 'angry', strict: false, note: '' });
    expect(errors).toEqual({
      'inputs.contract': ['Contract is required.'],
      'inputs.pages': ['Enter a number, such as 12 or 3.5.'],
      'inputs.tone': ['Choose one of: formal, casual.'],
    });
  });
});
