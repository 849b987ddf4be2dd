"""The only way components reach the API: an async REST client, watches that resume, informers with a
local indexed cache, the controller workqueue, leader election and an event recorder.

See ``docs/client.md`` for the API with examples and the hazards (cached objects are shared: copy
before mutating)."""
