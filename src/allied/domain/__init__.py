"""The pure domain of ``allied``: rules and entities, standard library only."""
