/** Whether PostgreSQL can store the instant (years 1 to 9999 here: no BC dates, no five-digit years). */
export const storableInstant = (date: Date) =>
  !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999
