/**
 * yargs reports bad usage over several lines ("Invalid values:\n  Argument: target, Given:
 * …"); every error serial-flash prints is one sentence, so its messages are rewritten here.
 */

const INVALID_CHOICE = /Argument: ([\w-]+), Given: (.+?), Choices: (.+?)\s*$/m;

/** One sentence (without the final full stop) for a yargs validation message. */
export function usageSentence(message: string): string {
  const choice = INVALID_CHOICE.exec(message);
  if (choice) {
    const [, option, given, choices] = choice;
    const listed = choices!.split(/,\s*/).map((c) => c.replace(/^"(.*)"$/, '$1')).join(', ');
    return `--${option} must be one of ${listed}, not ${given}`;
  }
  return message.replace(/\s*\n\s*/g, ' ').trim().replace(/[.:]$/, '');
}
