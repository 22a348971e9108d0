-- The wire shape of an endpoint's deliveries, chosen by the facade that created the endpoint:
-- 'engage_digital' (the envelope every endpoint used so far), 'ringplan' or 'native'.
ALTER TABLE webhook_endpoints ADD COLUMN format TEXT NOT NULL DEFAULT 'engage_digital';

-- RingPlan callback URLs speak RingPlan's shape.
UPDATE webhook_endpoints SET format = 'ringplan' WHERE id IN (SELECT endpoint_id FROM ringplan_callback_urls);
