// The sentence for a failed install journey: the code of the part that failed, looked up in the
// installer's strings (flash refusals and port problems in flashErrors, upload problems in
// uploadErrors), never the error's own message.
import type { InstallState } from '../device/install-routine.ts';
import { t } from './locale.ts';
import '../i18n/installer.ts';

type Failed = Extract<InstallState, { state: 'failed' }>;
type Texts = Record<string, string | ((...a: string[]) => string) | undefined>;

export function errorText(st: Failed): { key: string; text: string } {
  const flashErrors = t().flashErrors as Texts;
  const uploadErrors = t().uploadErrors as Texts;
  const problem = st.problem;
  const key = problem ? problem.code : st.error.code;
  const upload = st.during === 'upload' || st.during === 'boot';
  const msg = (upload ? (uploadErrors[key] ?? flashErrors[key]) : (flashErrors[key] ?? uploadErrors[key])) ?? (upload ? uploadErrors['board-error'] : flashErrors.failed)!;
  const text = typeof msg === 'function' ? (problem?.code === 'wrong-chip' ? msg(problem.imageChip, problem.boardChip) : msg('', '')) : msg;
  return { key, text };
}
