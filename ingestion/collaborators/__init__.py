"""Source `collaborators`: the public-opinion collaborator network (rosters and contribution forms)."""
