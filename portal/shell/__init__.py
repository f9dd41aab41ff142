"""The shell: pages and services that compose the apps. No app imports it."""
