import { MediaError } from './errors.js';

/**
 * What DingTalk's media upload (`POST oapi.dingtalk.com/media/upload`, document
 * `upload-media-files`) takes, by its `type`: the largest size in MB and the file extensions.
 * `jpeg` is `jpg` by another name; `ogg` is the voice format the robot message documents
 * (`sampleAudio`: "ogg, amr", document `robot-message-type`) and the one community channels
 * upload as voice (soimy/openclaw-channel-dingtalk transcodes to it), though the upload
 * document lists only amr, mp3 and wav. The robot message document narrows files further
 * (xlsx, pdf, zip, rar, doc, docx); the upload's list is the one checked here.
 *
 * @example
 * ```ts
 * MEDIA_LIMITS.voice; // [2, 'amr mp3 wav ogg']: 2 MB
 * ```
 */
export const MEDIA_LIMITS = {
  image: [20, 'jpg jpeg gif png bmp'],
  voice: [2, 'amr mp3 wav ogg'],
  video: [20, 'mp4'],
  file: [20, 'doc docx xls xlsx ppt pptx zip pdf rar'],
} as const satisfies Record<string, readonly [number, string]>;

/**
 * A media upload's `type`: `image`, `voice`, `video` or `file`.
 *
 * @example
 * ```ts
 * const type: MediaType = 'voice';
 * ```
 */
export type MediaType = keyof typeof MEDIA_LIMITS;

/**
 * The upload `type` and extension of a file, by its name's extension (else its MIME subtype:
 * `image/png` is `png`), checked against {@link MEDIA_LIMITS}: throws {@link MediaError}
 * `MEDIA_UNSUPPORTED` or `MEDIA_TOO_LARGE` before anything is uploaded.
 *
 * @example
 * ```ts
 * mediaTypeOf('chart.png', blob); // { type: 'image', ext: 'png' }
 * ```
 */
export function mediaTypeOf(name: string, blob: Blob): { type: MediaType; ext: string } {
  const ext = (/\.([^./]+)$/.exec(name)?.[1] ?? blob.type.split(/[/;]/)[1] ?? '').toLowerCase();
  const type = (Object.keys(MEDIA_LIMITS) as MediaType[]).find((t) => MEDIA_LIMITS[t][1].split(' ').includes(ext));
  if (!type) throw new MediaError('MEDIA_UNSUPPORTED', `DingTalk's media upload takes no .${ext} files (see MEDIA_LIMITS)`);
  const mb = MEDIA_LIMITS[type][0];
  if (blob.size > mb * 2 ** 20) throw new MediaError('MEDIA_TOO_LARGE', `DingTalk's media upload takes a ${type} of ${mb} MB at most`);
  return { type, ext };
}
