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
  button,
  .button {
    gap: 0.4rem;
    justify-content: center;
    transition: background-color 120ms, border-color 120ms;
  }
  button:hover:not(:disabled),
  .button:hover {
    border-color: var(--accent, #fca311);
  }
  button:active:not(:disabled) {
    transform: translateY(1px);
  }
  button:disabled {
    opacity: 0.5;
    cursor: not-allowed;
  }
  .primary {
    background: var(--accent, #fca311);
    border-color: var(--accent, #fca311);
    color: #14213d;
    font-weight: 600;
  }
  .primary:hover:not(:disabled) {
    background: #ffb43a;
  }
  /* Selects drawn like the inputs beside them, with an inline arrow (no icon font). */
  select {
    font: inherit;
    min-height: 44px;
    padding: 0 2rem 0 0.5rem;
    border: 1px solid var(--line, #ccc);
    border-radius: 0.4rem;
    color: inherit;
    appearance: none;
    background: var(--paper, Canvas)
      url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='10' height='6'%3E%3Cpath d='M0 0l5 6 5-6z' fill='%23888'/%3E%3C/svg%3E")
      no-repeat right 0.7rem center;
    cursor: pointer;
  }
  /* One focus ring everywhere: thick, in the accent colour, outside the control. */
  button:focus-visible,
  .button:focus-visible,
  a:focus-visible,
  input:focus-visible,
  select:focus-visible,
  summary:focus-visible,
  [tabindex]:focus-visible {
    outline: 3px solid var(--accent, #fca311);
    outline-offset: 2px;
  }
  @media (prefers-reduced-motion: reduce) {
    button,
    .button {
      transition: none;
    }
    button:active:not(:disabled) {
      transform: none;
    }
  }
  .callout {
    border-left: 4px solid var(--accent, #fca311);
    padding: 0.5rem 1rem;
    margin: 1rem 0;
    background: light-dark(#fff7e6, #1c2540);
  }
`;
