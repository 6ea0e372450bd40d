/**
 * The previews' single decode: one FFmpeg reads the chosen rung once, restarts its clock at its
 * first frame (the player's 0), splits it, and each branch (the storyboard, each thumbnail, the
 * preview) filters its copy into its own output file. Branches drop the frames they do not need,
 * so nothing piles up. Pure.
 */

/** One output of the pass: its filters, from the label `input` to the label `output`, and its output options. */
export interface PassBranch {
  readonly graph: (input: string, output: string) => string;
  /** Everything after `-map [output]`, the file last. */
  readonly output: readonly string[];
}

/** The pass's arguments: `playlist` decoded once, split into the branches. */
export function passArgs(playlist: string, branches: readonly PassBranch[]): string[] {
  const labels = branches.map((_, k) => `s${k}`);
  const split = `[0:v:0]setpts=PTS-STARTPTS,split=${branches.length}${labels.map((l) => `[${l}]`).join('')}`;
  const graphs = branches.map((b, k) => b.graph(`[s${k}]`, `[o${k}]`));
  const outputs = branches.flatMap((b, k) => ['-map', `[o${k}]`, '-an', '-sn', '-dn', ...b.output]);
  // info: the storyboard's showinfo reports at that level; -nostats keeps progress lines out of stderr.
  return ['-loglevel', 'info', '-nostats', '-i', playlist, '-filter_complex', [split, ...graphs].join(';'), ...outputs];
}
