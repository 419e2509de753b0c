// Client-made ids: time-ordered UUIDv7 for events (DESIGN.md decision 2).
import { v7 } from 'uuid';

export const newEventId = (): string => v7();
