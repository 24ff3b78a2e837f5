// Minimal, valid audio files: a soft tone as 16-bit PCM WAV, and silence as an MPEG-1 Layer III
// stream. Players and decoders accept both; neither needs an encoder library.

const WAV_SAMPLE_RATE = 24_000;
const TONE_HZ = 400;
const TONE_AMPLITUDE = 1_200; // of 32767: quiet, so a demo that plays it is not startling

// One period of the tone (an exact number of samples at this rate). Sounds are whole periods, so
// they start and end at a zero crossing, without clicks.
const PERIOD_SAMPLES = WAV_SAMPLE_RATE / TONE_HZ;
const PERIOD = Buffer.alloc(PERIOD_SAMPLES * 2);
for (let i = 0; i < PERIOD_SAMPLES; i++) {
  PERIOD.writeInt16LE(Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * i) / PERIOD_SAMPLES)), i * 2);
}

/** A RIFF/WAVE file: PCM, 16-bit, mono, WAV_SAMPLE_RATE, about `seconds` long. */
export function toneWav(seconds: number): Buffer {
  const samples = Math.max(1, Math.round((seconds * WAV_SAMPLE_RATE) / PERIOD_SAMPLES)) * PERIOD_SAMPLES;
  const dataBytes = samples * 2;
  const wav = Buffer.allocUnsafe(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(WAV_SAMPLE_RATE, 24);
  wav.writeUInt32LE(WAV_SAMPLE_RATE * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  wav.fill(PERIOD, 44);
  return wav;
}

// MPEG-1 Layer III, no CRC, 32 kbit/s, 48 kHz, no padding, mono: 144 * 32000 / 48000 = 96-byte
// frames of 1152 samples (24 ms). After the 4-byte header, all-zero side information (17 bytes for
// mono) declares no main data, which every decoder renders as silence.
const MP3_FRAME_HEADER = [0xff, 0xfb, 0x14, 0xc4];
const MP3_FRAME_BYTES = 96;
const MP3_FRAME_SECONDS = 1152 / 48_000;
const MP3_FRAME = Buffer.alloc(MP3_FRAME_BYTES);
MP3_FRAME.set(MP3_FRAME_HEADER);

/** Silent MP3 frames covering about `seconds`. */
export function silentMp3(seconds: number): Buffer {
  const frames = Math.max(1, Math.round(seconds / MP3_FRAME_SECONDS));
  const mp3 = Buffer.allocUnsafe(frames * MP3_FRAME_BYTES);
  mp3.fill(MP3_FRAME);
  return mp3;
}
