import { colourFilters, planColour } from './colour.js';
import { PROGRESSIVE, type InterlaceVerdict } from './interlace.js';
import type { Conversion, PicturePlan, VideoStreamInfo } from './types.js';

/** Plain progressive BT.709 square pixels: nothing to do. */
export const PLAIN_PICTURE: PicturePlan = {
  deinterlace: null,
  colour: {
    kind: 'none',
    source: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', range: 'tv', tagged: false },
  },
  anamorphic: false,
};

/** The picture plan of a video stream, given its interlace verdict. Pure. */
export function planPicture(video: VideoStreamInfo, interlace: InterlaceVerdict = PROGRESSIVE): PicturePlan {
  return {
    deinterlace: interlace.interlaced ? { parity: interlace.parity } : null,
    colour: planColour(video),
    anamorphic: video.sampleAspect.num !== video.sampleAspect.den,
  };
}

/** Whether the plan changes any pixel before scaling (then the top rung cannot be a stream copy). */
export function pictureIsPlain(plan: PicturePlan): boolean {
  return plan.deinterlace === null && plan.colour.kind === 'none' && !plan.anamorphic;
}

/** What the plan does, by the names the job reports. */
export function pictureConversions(plan: PicturePlan): Conversion[] {
  const list: Conversion[] = [];
  if (plan.deinterlace !== null) list.push('deinterlaced');
  if (plan.anamorphic) list.push('anamorphic');
  if (plan.colour.kind === 'tonemap') list.push('tonemapped');
  if (plan.colour.kind === 'convert') list.push('colour_converted');
  return list;
}

/**
 * The filters applied to `[0:v]` before the split into rungs and poster; empty for a plain source,
 * so its graph is exactly what it was. bwdif gives one frame per frame (send_frame): the rung keeps
 * the source's frame rate, and field parity comes from the frames unless the sample found it.
 * `size` is the top rung's: the colour step resizes to it on the way.
 */
export function pictureFilters(plan: PicturePlan, size: { width: number; height: number }): string[] {
  const filters: string[] = [];
  if (plan.deinterlace !== null) filters.push(`bwdif=mode=send_frame:parity=${plan.deinterlace.parity}:deint=all`);
  filters.push(...colourFilters(plan.colour, size));
  return filters;
}
