"""The fake freee会計 (/api/1/...) and freee請求書 (/iv/...) endpoints."""
