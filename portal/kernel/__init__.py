"""The shared kernel (app label "portal"): what every app may use. It imports no app."""
