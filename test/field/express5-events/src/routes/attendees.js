import { Router } from 'express';
import { addAttendee, getEvent, listAttendees } from '../store.js';

const router = Router({ mergeParams: true });

router.get('/', async (req, res) => {
  const list = await listAttendees(req.params.eventId);
  if (!list) return res.status(404).json({ error: 'event not found' });
  res.json(list);
});

router.post('/', async (req, res) => {
  const event = await getEvent(req.params.eventId);
  if (!event) return res.status(404).json({ error: 'event not found' });
  const entry = await addAttendee(event.id, { name: req.body.name, email: req.body.email });
  res.status(201).json(entry);
});

export default router;
