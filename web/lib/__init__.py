"""Cross-cutting HTTP shared by every slice: DI providers, guards, error mapping, rendering, templating, i18n."""
