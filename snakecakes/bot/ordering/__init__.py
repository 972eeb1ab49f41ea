"""Selling in a conversation: the order desk both engines use (desk), the actions a turn commits
(actions), what a turn may read of the shop (shelf), and the buttons that confirm an order or
accept a suggestion (buttons). Import the modules; this package file stays empty so that the
engine interface can import actions without a cycle."""
