import { css } from 'lit';

/** Hidden from the eye, still read by screen readers. */
export const visuallyHidden = css`
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
`;

/** What every view shares: headings, text width, buttons and callouts. */
export const viewStyles = css`
  :host {
    display: block;
  }
  h1 {
    font-size: 1.5rem;
    margin: 0 0 0.75rem;
  }
  h1:focus {
    outline: none;
  }
  p {
    line-height: 1.5;
    max-width: 40rem;
  }
  button,
  .button {
    font: inherit;
    min-height: 48px;
    padding: 0.5rem 1.25rem;
    border-radius: 0.5rem;
    border: 1px solid var(--line, #ccc);
    background: var(--paper, Canvas);
    color: inherit;
    cursor: pointer;
    text-decoration: none;
    display: inline-flex;
    align-items: center;
  }
  .primary {
    background: var(--accent, #fca311);
    border-color: var(--accent, #fca311);
    color: #14213d;
    font-weight: 600;
  }
  button:focus-visible,
  .button:focus-visible,
  a:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 3px solid var(--accent, #fca311);
    outline-offset: 2px;
  }
  .callout {
    border-left: 4px solid var(--accent, #fca311);
    padding: 0.5rem 1rem;
    margin: 1rem 0;
    background: light-dark(#fff7e6, #1c2540);
  }
`;
