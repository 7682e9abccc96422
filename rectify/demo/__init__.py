"""The living demo: a deterministic history of the seed plan played through the real services
(`rectify load_demo_history`), so a demo or training instance opens on a plan with a past."""
