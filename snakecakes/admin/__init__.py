"""The admin side: JSON APIs for staff (orders, prompts, knowledge documents and feedback)."""
