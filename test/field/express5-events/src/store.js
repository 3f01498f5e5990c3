const events = new Map();
const attendees = new Map();
let sequence = 0;

export async function createEvent({ title, startsAt, capacity = 100 }) {
  const event = { id: String(++sequence), title, startsAt, capacity };
  events.set(event.id, event);
  attendees.set(event.id, []);
  return event;
}

export async function getEvent(id) {
  return events.get(id) ?? null;
}

export async function listEvents() {
  return [...events.values()];
}

export async function addAttendee(eventId, attendee) {
  const list = attendees.get(eventId);
  if (!list) return null;
  const entry = { id: `${eventId}-${list.length + 1}`, ...attendee };
  list.push(entry);
  return entry;
}

export async function listAttendees(eventId) {
  return attendees.get(eventId) ?? null;
}
