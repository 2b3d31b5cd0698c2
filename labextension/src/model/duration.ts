/** Durations for people: "850 ms", "12 s", "3 min 04 s", "2 h 05 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (totalMinutes < 60) return `${totalMinutes} min ${pad(totalSeconds % 60)} s`;
  const hours = Math.floor(totalMinutes / 60);
  if (hours < 48) return `${hours} h ${pad(totalMinutes % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
