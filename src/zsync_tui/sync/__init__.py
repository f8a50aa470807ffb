"""The domain: integration configuration, matching, planning, applying, merging, triggers."""
