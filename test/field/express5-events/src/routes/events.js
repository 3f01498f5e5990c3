import { Router } from 'express';
import * as store from '../store.js';

const router = Router();

router.get('/', async (req, res) => {
  const events = await store.listEvents();
  res.json({ data: events, count: events.length });
});

router.post('/', async (req, res) => {
  const { title, startsAt, capacity } = req.body ?? {};
  if (!title) {
    res.status(422).json({ error: 'title is required' });
    return;
  }
  const event = await store.createEvent({ title, startsAt, capacity });
  res.status(201).json(event);
});

router.get('/:eventId', async (req, res) => {
  const event = await store.getEvent(req.params.eventId);
  if (!event) {
    res.status(404).json({ error: 'event not found' });
    return;
  }
  res.json(event);
});

export default router;
