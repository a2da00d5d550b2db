import { describe, expect, it } from 'vitest';
import { redactPersonalData, serializeError } from './redact';

describe('redactPersonalData', () => {
  it('removes emails and the values PostgreSQL quotes in its details, keeping the rest', () => {
    expect(redactPersonalData('Key (email)=(ada@example.com) already exists.')).toBe('Key (email)=([redacted]) already exists.');
    expect(redactPersonalData('new row violates check constraint "x"\nFailing row contains (c1, user_1, ada@example.com, Ada Lovelace).')).toBe(
      'new row violates check constraint "x"\nFailing row contains ([redacted]).',
    );
    expect(redactPersonalData('could not sync ada.lovelace+test@mail.example.org for user_2abc')).toBe('could not sync [email] for user_2abc');
    expect(redactPersonalData('connect ECONNREFUSED 127.0.0.1:5432')).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('serializes an error for the log with its type and code, redacted', () => {
    const error = Object.assign(new Error('duplicate: Key (email)=(grace@example.com) already exists.'), { code: '23505' });
    const logged = serializeError(error);
    expect(logged).toMatchObject({ type: 'Error', code: '23505', message: 'duplicate: Key (email)=([redacted]) already exists.' });
    expect(JSON.stringify(logged)).not.toContain('grace@example.com');
  });
});

describe('serializeError for errors without a message', () => {
  it('says what the gathered errors say, or at least the code', () => {
    const refused = new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], '');
    expect(serializeError(refused).message).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    expect(serializeError(Object.assign(new Error(''), { code: 'ECONNRESET' })).message).toBe('ECONNRESET');
  });
});
