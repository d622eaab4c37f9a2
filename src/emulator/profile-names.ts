/**
 * The virtual devices' names, apart from their implementations: the CLI lists them as
 * choices at every start, and importing the devices themselves just for that doubled the
 * modules `serial-flash --help` loads.
 */
export const PROFILE_NAMES = ['photon', 'p1', 'electron', 'core', 'ymodem', 'uboot'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}
